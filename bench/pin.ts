import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * `--pin`: the server measured runs alone on CPU 0; the load client and the bench's own Redis
 * servers share CPU 1. On a small machine, a process preempted by the others pays for it in its
 * own CPU time (context switches, cold caches), by an amount that depends on how busy the others
 * are: pinning makes variants with busier Redis servers (a cluster) comparable to the others.
 */
export const SERVER_CPU = 0;
export const OTHERS_CPU = 1;

/** Whether pinning can be done here (two CPUs or more, and `taskset`). */
export function canPin(): boolean {
  if (cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of process `pid` to `cpu`. */
export function pin(pid: number | undefined, cpu: number): void {
  if (pid !== undefined)
    execFileSync('taskset', ['-apc', String(cpu), String(pid)], { stdio: 'ignore' });
}

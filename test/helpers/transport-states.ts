import type { TransportState } from '../../src/index.js';

/**
 * Records every change of a transport's state, looked at every 10 ms, from now until `stop()`,
 * which adds the state at that moment if it changed and returns them all.
 */
export function watchTransportStates(read: () => TransportState): {
  states: TransportState[];
  stop(): TransportState[];
} {
  const states: TransportState[] = [read()];
  const note = () => {
    const state = read();
    if (states[states.length - 1] !== state) states.push(state);
  };
  const timer = setInterval(note, 10);
  return {
    states,
    stop: () => {
      clearInterval(timer);
      note();
      return states;
    },
  };
}

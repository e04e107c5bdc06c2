// Talks to the README's quick start over HTTP, as a browser would: opens /notifications?user=ada
// with a raw http.get (text/event-stream), waits for the `connected` event, POSTs to
// /notify/ada and waits for the `notification` event. Usage: node receive.mjs <baseUrl> [appPid].
// Retries the connection while the app is starting (and its process, if given, is alive); gives
// up after 30 s.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

const [base, appPid] = process.argv.slice(2);
const deadline = Date.now() + 30_000;
const fail = (message) => {
  console.error(`receive: ${message}`);
  process.exit(1);
};
setTimeout(() => fail('timed out'), deadline - Date.now()).unref();

/** Whether the app still runs: not gone, and not a zombie its parent (run.sh) has yet to reap. */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: the signal check is all there is
  }
}

function open() {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/notifications?user=ada`, {
      headers: { accept: 'text/event-stream' },
    });
    req.on('response', resolve).on('error', reject).end();
  });
}

let response;
while (!response) {
  try {
    response = await open();
  } catch (error) {
    if (error.code !== 'ECONNREFUSED' || Date.now() > deadline) fail(error.message);
    if (appPid && !alive(Number(appPid))) fail(`the app (pid ${appPid}) has exited`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
if (response.statusCode !== 200) fail(`status ${response.statusCode}`);
const type = response.headers['content-type'] ?? '';
if (!type.startsWith('text/event-stream')) fail(`content-type ${type}`);

// Events as { event, data }, parsed from the stream as it arrives.
const events = [];
let waiting = null;
let buffer = '';
response.setEncoding('utf8');
response.on('data', (chunk) => {
  buffer += chunk;
  let end;
  while ((end = buffer.indexOf('\n\n')) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const event = { event: 'message', data: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event.event = line.slice(6).trim();
      if (line.startsWith('data:')) event.data.push(line.slice(5).trimStart());
    }
    if (event.data.length === 0) continue; // retry hint or keepalive comment
    events.push({ event: event.event, data: event.data.join('\n') });
    waiting?.();
  }
});
response.on('end', () => fail(`stream ended; got ${JSON.stringify(events)}`));

async function next(name) {
  for (;;) {
    const found = events.find((e) => e.event === name);
    if (found) return found.data;
    await new Promise((resolve) => (waiting = resolve));
  }
}

const connected = await next('connected');
if (connected !== '{"userId":"ada"}') fail(`connected: ${connected}`);
const posted = await fetch(`${base}/notify/ada`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'hi' }),
});
if (posted.status !== 201) fail(`POST /notify/ada: status ${posted.status}`);
const notification = await next('notification');
if (notification !== '{"message":"hi"}') fail(`notification: ${notification}`);
console.log(`receive: ${JSON.stringify(events)}`);
process.exit(0);

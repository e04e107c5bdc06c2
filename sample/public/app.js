// The demo page: plain JavaScript, no build step, nothing loaded from the network.
'use strict';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

function log(listId, text) {
  const item = document.createElement('li');
  item.textContent = text;
  $(listId).prepend(item);
}

function describe(data) {
  try {
    const value = JSON.parse(data);
    const parts = [];
    if (value.message !== undefined) parts.push(value.message);
    if (value.userId !== undefined) parts.push(`user ${value.userId}`);
    if (value.notified !== undefined) parts.push(`notified ${value.notified}`);
    if (value.resumedFrom) parts.push(`resumed from ${value.resumedFrom}, gap ${value.replayGap}`);
    if (value.worker !== undefined) parts.push(`worker ${value.worker}`);
    return parts.join(' · ') || data;
  } catch {
    return data;
  }
}

/**
 * Opens one EventSource and mirrors its state, reconnects and events into the page. With
 * `resumable`, the last event id is kept in sessionStorage and, after a reload, the stream reopens
 * with `?lastEventId=`: an EventSource sends `Last-Event-ID` only on its own reconnects.
 */
function openStream(name, url, eventTypes, resumable = false) {
  const storageKey = `sse-demo:${name}:last-event-id`;
  if (resumable) {
    const stored = sessionStorage.getItem(storageKey);
    if (stored) {
      url += `${url.includes('?') ? '&' : '?'}lastEventId=${encodeURIComponent(stored)}`;
      $(`${name}-last-id`).textContent = stored;
    }
  }
  const state = $(`${name}-state`);
  let opened = 0;
  let source;
  const setState = (text) => {
    state.textContent = text;
    state.className = `state ${text.split(' ')[0]}`;
  };
  try {
    source = new EventSource(url);
  } catch (error) {
    setState('closed');
    log(`${name}-log`, `could not open: ${error}`);
    return null;
  }
  setState('connecting');
  source.addEventListener('open', () => {
    opened++;
    if (opened > 1) $(`${name}-reconnects`).textContent = String(opened - 1);
    setState('open');
  });
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      setState(opened === 0 ? 'refused (closed by the server)' : 'closed');
    } else {
      setState('reconnecting');
    }
  });
  for (const type of eventTypes) {
    source.addEventListener(type, (event) => {
      if (event.lastEventId) {
        $(`${name}-last-id`).textContent = event.lastEventId;
        if (resumable) sessionStorage.setItem(storageKey, event.lastEventId);
      }
      const id = event.lastEventId ? ` #${event.lastEventId}` : '';
      log(`${name}-log`, `${type}${id}: ${describe(event.data)}`);
    });
  }
  return source;
}

async function post(path, body) {
  try {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const result = await response.json().catch(() => ({}));
    log('publish-log', `${path} → ${response.status} ${JSON.stringify(result)}`);
    return result;
  } catch (error) {
    log('publish-log', `${path} failed: ${error}`);
    return null;
  }
}

$('broadcast-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void post('/broadcast', { message: $('broadcast-message').value });
});
$('notify-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void post(`/notify/${encodeURIComponent($('notify-user').value)}`, {
    message: $('notify-message').value,
  });
});
$('drop-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void post('/streams/drop', {});
});

// The chat: POST /chat streams the answer's tokens; fetch and a ReadableStream reader read them
// (an EventSource can only GET). Stop aborts the fetch: the server sees the stream close and
// stops the model.
let chatAbort = null;

function setChatState(text) {
  $('chat-state').textContent = text;
  $('chat-state').className = `state ${text}`;
  $('chat-send').disabled = text === 'streaming';
  $('chat-stop').disabled = text !== 'streaming';
}

/** Splits an event stream's text into events: `{ event, data }` for each blank-line-ended block. */
function createEventStreamParser(onEvent) {
  let buffer = '';
  return (text) => {
    buffer += text;
    const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/);
    buffer = blocks.pop();
    for (const block of blocks) {
      const event = { event: 'message', data: [] };
      for (const line of block.split(/\r\n|\n|\r/)) {
        const colon = line.indexOf(':');
        if (colon === 0) continue; // a comment (keepalive)
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.event = value;
        if (field === 'data') event.data.push(value);
      }
      if (event.data.length > 0) onEvent({ event: event.event, data: event.data.join('\n') });
    }
  };
}

async function ask(prompt) {
  chatAbort = new AbortController();
  $('chat-answer').textContent = '';
  $('chat-tokens').textContent = '0';
  setChatState('streaming');
  let tokens = 0;
  let finished = false;
  const parse = createEventStreamParser(({ event, data }) => {
    if (event === 'token') {
      $('chat-answer').textContent += data;
      $('chat-tokens').textContent = String(++tokens);
    } else if (event === 'done') finished = true;
  });
  try {
    const response = await fetch('/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ prompt, maxTokens: Number($('chat-max-tokens').value) }),
      signal: chatAbort.signal,
    });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parse(value);
    }
    setChatState(finished ? 'done' : 'closed');
  } catch (error) {
    if (chatAbort.signal.aborted) setChatState('stopped');
    else {
      setChatState('error');
      $('chat-answer').textContent += ` [${error.message}]`;
    }
  }
}

$('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void ask($('chat-prompt').value);
});
$('chat-stop').addEventListener('click', () => chatAbort?.abort());

$('protocol').textContent =
  `Page served over ${location.protocol === 'https:' ? 'HTTPS' : 'HTTP'}.`;

const many = Number(params.get('streams') ?? 0);
if (many > 0) {
  // Only the N streams: shows the browser's per-origin limit of 6 on HTTP/1.1, none on HTTP/2.
  document.querySelectorAll('[data-stream]').forEach((section) => (section.hidden = true));
  $('multi-section').hidden = false;
  $('multi-total').textContent = String(many);
  let latest = null;
  const got = new Map();
  const refresh = () => {
    $('multi-received').textContent = String(
      [...got.values()].filter((message) => message === latest).length,
    );
  };
  for (let i = 0; i < many; i++) {
    const badge = document.createElement('span');
    badge.textContent = `#${i + 1}: connecting`;
    $('multi').append(badge);
    const source = new EventSource('/events');
    source.addEventListener('open', () => (badge.textContent = `#${i + 1}: open`));
    source.addEventListener('broadcast', (event) => {
      const { message } = JSON.parse(event.data);
      latest = message;
      got.set(i, message);
      badge.textContent = `#${i + 1}: ${message}`;
      refresh();
    });
  }
} else {
  const token = params.get('token') ?? 'alice';
  openStream('events', '/events', ['hello', 'broadcast', 'bye'], true);
  openStream('notifications', `/notifications?token=${encodeURIComponent(token)}`, [
    'connected',
    'notification',
    'bye',
  ]);
  const admin = params.get('admin');
  openStream(
    'admin',
    admin ? `/admin/events?token=${encodeURIComponent(admin)}` : '/admin/events',
    ['welcome', 'audit', 'bye'],
  );
}

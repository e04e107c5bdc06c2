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

/** Opens one EventSource and mirrors its state, reconnects and events into the page. */
function openStream(name, url, eventTypes) {
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
      if (event.lastEventId) $(`${name}-last-id`).textContent = event.lastEventId;
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
  openStream('events', '/events', ['hello', 'broadcast', 'bye']);
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

// A one-to-one video call, written the way a site that never thought about end-to-end encryption would write it:
// one RTCPeerConnection, signalling over the demo server (Server-Sent Events in, POST out), perfect negotiation.
// A text chat rides the same connection: the peer that makes the first offer creates an RTCDataChannel ("chat") in it,
// the other gets it from `datachannel`; strings go with channel.send(text), and "Send as bytes" sends the text's UTF-8
// bytes as a Uint8Array (binaryType 'arraybuffer'), as a site's file transfer would.
//
// Query parameters:
//   room=<id>        room to join (default "demo")
//   name=<peer>      who we are, e.g. alice / bob (default: random)
//   send=addTrack | addTransceiver | transceiverThenReplace     how local media is handed to the connection
//   codec=vp8 | vp9 | h264 | av1                                preferred video codec (default: the browser's)
//   iframe=1         run the call inside a same-origin iframe (which loads this page with framed=1)
//
// For tests, window.demo exposes { pc, state, log, error, remoteVideos, stats(), replaceTrackWithCanvas(),
// addSecondVideoTrack(), hangUp(), channel, chat, sendBytes(bytes) }. `chat` lists the chat's messages in the order
// shown: { from: 'me' | 'them', kind: 'text' | 'bytes', text?, bytes? (numbers) }. In iframe mode the top page's
// window.demo is the framed page's.

(() => {
  const params = new URLSearchParams(location.search);
  const room = params.get('room') || 'demo';
  const name = params.get('name') || `peer-${Math.random().toString(36).slice(2, 8)}`;
  const sendMode = params.get('send') || 'addTrack';
  const codec = (params.get('codec') || '').toLowerCase();
  const SEND_MODES = ['addTrack', 'addTransceiver', 'transceiverThenReplace', 'receiveOnly'];

  const $ = (id) => document.getElementById(id);
  $('room').textContent = room;
  $('name').textContent = name;

  if (params.get('iframe') === '1' && params.get('framed') !== '1') {
    runInIframe();
    return;
  }

  /** Identifies this page load, so a peer that reloads is told apart from one that only reconnected. */
  const session = Math.random().toString(36).slice(2, 12);
  const started = performance.now();

  const demo = {
    room,
    name,
    session,
    sendMode,
    /** starting | waiting | negotiating | connecting | connected | disconnected | failed | closed | error */
    state: 'starting',
    /** @type {RTCPeerConnection | null} */
    pc: null,
    /** @type {MediaStream | null} */
    localStream: null,
    /** @type {string[]} Lines such as "1.234 signalling: sent offer". */
    log: [],
    /** @type {string | null} */
    error: null,
    /** @type {string[]} Ids of the <video> elements showing remote video tracks, in arrival order. */
    remoteVideos: [],
    /** @type {RTCDataChannel | null} The chat's channel (created by the first offerer, or received). */
    channel: null,
    /** @type {{ from: 'me' | 'them', kind: 'text' | 'bytes', text?: string, bytes?: number[] }[]} */
    chat: [],
    stats,
    replaceTrackWithCanvas,
    addSecondVideoTrack,
    sendBytes,
    hangUp,
  };
  window.demo = demo;

  function log(message) {
    const line = `${((performance.now() - started) / 1000).toFixed(3)} ${message}`;
    demo.log.push(line);
    if (demo.log.length > 500) demo.log.splice(0, demo.log.length - 500);
    const el = $('log');
    el.textContent += `${line}\n`;
    el.scrollTop = el.scrollHeight;
  }

  function setState(state) {
    if (demo.state === state) return;
    demo.state = state;
    $('status').textContent = state;
    log(`state: ${state}`);
  }

  function fail(where, error) {
    const message = `${where}: ${error?.name ? `${error.name}: ${error.message}` : String(error)}`;
    demo.error = message;
    log(`ERROR ${message}`);
    setState('error');
  }

  // Remote audio plays through its own element (the <video> elements stay muted so they may autoplay).
  const remoteAudio = document.createElement('audio');
  remoteAudio.id = 'remote-audio';
  remoteAudio.autoplay = true;
  document.body.append(remoteAudio);

  // ---- signalling -------------------------------------------------------------------------------------------------

  const signalUrl = `/signal/${encodeURIComponent(room)}/${encodeURIComponent(name)}`;
  let outbox = Promise.resolve();
  let inbox = Promise.resolve();

  /** Posts a message to the other peer; messages leave in order (candidates must not overtake their offer). */
  function signal(message) {
    const body = JSON.stringify({ session, ...message });
    outbox = outbox
      .then(() => fetch(signalUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }))
      .then((response) => {
        if (!response.ok) log(`signalling: POST answered ${response.status}`);
      })
      .catch((error) => log(`signalling: POST failed: ${error}`));
  }

  let peerPresent = false;
  /** Whether we joined second: the second to join makes the first offer and is the impolite peer. */
  let offerer = null;
  /** The session of the peer we negotiate with. */
  let remoteSession = null;

  function connectSignalling() {
    const events = new EventSource(signalUrl);
    events.addEventListener('open', () => log('signalling: connected'));
    events.addEventListener('error', () => log('signalling: stream error (the browser retries)'));
    events.addEventListener('presence', (event) => {
      const presence = JSON.parse(event.data);
      if (presence.type === 'welcome') {
        peerPresent = presence.peers.length > 0;
        if (offerer === null) offerer = peerPresent;
        log(`signalling: welcome, ${peerPresent ? `${presence.peers.join(', ')} already here` : 'first in the room'}`);
      } else if (presence.type === 'joined') {
        peerPresent = true;
        log(`signalling: ${presence.peer} joined`);
      } else if (presence.type === 'left') {
        peerPresent = false;
        log(`signalling: ${presence.peer} left`);
      }
      if (['starting', 'waiting', 'negotiating'].includes(demo.state))
        setState(peerPresent ? 'negotiating' : 'waiting');
      maybeNegotiate();
    });
    events.addEventListener('message', (event) => {
      const { from, message } = JSON.parse(event.data);
      inbox = inbox.then(() => onSignal(from, message)).catch((error) => fail('signalling', error));
    });
  }

  // ---- the connection (perfect negotiation, https://w3c.github.io/webrtc-pc/#perfect-negotiation-example) ----------

  let makingOffer = false;
  let ignoreOffer = false;
  let settingRemoteAnswer = false;
  let negotiationWanted = false;
  /** @type {RTCRtpSender | null} The sender of our camera video (replaceTrackWithCanvas swaps its track). */
  let videoSender = null;

  function createConnection() {
    const pc = new RTCPeerConnection();
    demo.pc = pc;
    videoSender = null;
    const stream = demo.localStream;
    const [audio] = stream.getAudioTracks();
    const [video] = stream.getVideoTracks();
    if (sendMode === 'addTrack') {
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      videoSender = pc.getSenders().find((s) => s.track === video) || null;
    } else if (sendMode === 'addTransceiver') {
      for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      videoSender = pc.getSenders().find((s) => s.track === video) || null;
    } else if (sendMode === 'receiveOnly') {
      // A listener: it receives audio and video and sends nothing (Framelock cannot give it keys, and says so).
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    } else {
      pc.addTrack(audio, stream);
      const transceiver = pc.addTransceiver('video', { direction: 'sendrecv', streams: [stream] });
      videoSender = transceiver.sender;
    }
    log(`media: ${sendMode} (${sendMode === 'receiveOnly' ? 0 : stream.getTracks().length} tracks)`);

    pc.addEventListener('negotiationneeded', () => {
      if (demo.pc !== pc) return;
      negotiationWanted = true;
      maybeNegotiate();
    });
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate && demo.pc === pc) signal({ candidate: candidate.toJSON() });
    });
    pc.addEventListener('signalingstatechange', () => log(`pc: signalling ${pc.signalingState}`));
    pc.addEventListener('iceconnectionstatechange', () => log(`pc: ice ${pc.iceConnectionState}`));
    pc.addEventListener('connectionstatechange', () => {
      if (demo.pc !== pc) return;
      log(`pc: connection ${pc.connectionState}`);
      if (pc.connectionState === 'new') return;
      setState(pc.connectionState);
      if (pc.connectionState === 'connected' && sendMode === 'transceiverThenReplace' && !videoSender.track) {
        videoSender.replaceTrack(video).then(
          () => log('media: replaceTrack(camera) on the video transceiver'),
          (error) => fail('replaceTrack', error),
        );
      }
    });
    pc.addEventListener('datachannel', ({ channel }) => {
      if (demo.pc !== pc) return;
      log(`chat: got channel "${channel.label}"`);
      useChannel(channel);
    });
    pc.addEventListener('track', ({ track }) => {
      log(`pc: remote ${track.kind} track`);
      if (track.kind === 'audio') {
        remoteAudio.srcObject = new MediaStream([track]);
        return;
      }
      const element = remoteVideoElement(demo.remoteVideos.length);
      element.srcObject = new MediaStream([track]);
      demo.remoteVideos.push(element.id);
    });
    return pc;
  }

  /** `#remote` for the first remote video, then `#remote2`, `#remote3`, ... created on demand. */
  function remoteVideoElement(index) {
    if (index === 0) return $('remote');
    const id = `remote${index + 1}`;
    const existing = $(id);
    if (existing) return existing;
    const figure = document.createElement('figure');
    const element = document.createElement('video');
    Object.assign(element, { id, autoplay: true, playsInline: true, muted: true });
    const caption = document.createElement('figcaption');
    caption.textContent = `them (video ${index + 1})`;
    figure.append(element, caption);
    $('videos').append(figure);
    return element;
  }

  /** A peer that reloaded negotiates from scratch: start over with a fresh connection. */
  function resetConnection() {
    log('pc: the peer restarted: new connection');
    demo.pc.close();
    for (const id of demo.remoteVideos.slice(1)) $(id)?.closest('figure')?.remove();
    demo.remoteVideos = [];
    makingOffer = false;
    ignoreOffer = false;
    settingRemoteAnswer = false;
    negotiationWanted = false;
    offerer = false;
    demo.channel = null;
    setChatEnabled(false);
    createConnection();
    setState('negotiating');
  }

  function maybeNegotiate() {
    const pc = demo.pc;
    if (!pc || !negotiationWanted || makingOffer || !peerPresent) return;
    // Until the first exchange, only the second to join offers (the first waits for it).
    if (!pc.remoteDescription && !offerer) return;
    negotiationWanted = false;
    // The chat's channel goes in the first offer, with the media.
    if (!pc.remoteDescription && !demo.channel) useChannel(pc.createDataChannel('chat'));
    void negotiate(pc);
  }

  async function negotiate(pc) {
    try {
      makingOffer = true;
      preferCodec(pc);
      await pc.setLocalDescription();
      log(`signalling: sent ${pc.localDescription.type}`);
      signal({ description: pc.localDescription.toJSON() });
    } catch (error) {
      fail('negotiation', error);
    } finally {
      makingOffer = false;
    }
  }

  async function onSignal(from, message) {
    if (remoteSession === null) {
      remoteSession = message.session;
      log(`signalling: negotiating with ${from}`);
    } else if (message.session !== remoteSession) {
      // Left over from the peer's earlier page load, or the first offer of its new one.
      if (message.description?.type !== 'offer') return;
      resetConnection();
      remoteSession = message.session;
      log(`signalling: negotiating with ${from} again`);
    }
    const pc = demo.pc;
    if (message.description) {
      const description = message.description;
      const polite = !offerer;
      const readyForOffer = !makingOffer && (pc.signalingState === 'stable' || settingRemoteAnswer);
      const collision = description.type === 'offer' && !readyForOffer;
      ignoreOffer = !polite && collision;
      if (ignoreOffer) {
        log('signalling: ignored a colliding offer (we are impolite)');
        return;
      }
      log(`signalling: got ${description.type}`);
      settingRemoteAnswer = description.type === 'answer';
      await pc.setRemoteDescription(description);
      settingRemoteAnswer = false;
      if (description.type === 'offer') {
        preferCodec(pc);
        await pc.setLocalDescription();
        log(`signalling: sent ${pc.localDescription.type}`);
        signal({ description: pc.localDescription.toJSON() });
      }
      if (['waiting', 'negotiating'].includes(demo.state)) setState('connecting');
    } else if (message.candidate) {
      try {
        await pc.addIceCandidate(message.candidate);
      } catch (error) {
        if (!ignoreOffer) log(`pc: addIceCandidate failed: ${error}`);
      }
    }
  }

  /** Puts `?codec=` first in every video transceiver's preferences (the rest stay, in the browser's order). */
  function preferCodec(pc) {
    if (!codec) return;
    const { codecs } = RTCRtpReceiver.getCapabilities('video');
    const wanted = codecs.filter((c) => c.mimeType.toLowerCase() === `video/${codec}`);
    if (wanted.length === 0) {
      log(`media: codec ${codec} is not supported here`);
      return;
    }
    const ordered = [...wanted, ...codecs.filter((c) => !wanted.includes(c))];
    for (const transceiver of pc.getTransceivers()) {
      if (transceiver.receiver.track.kind === 'video' && !transceiver.stopped) {
        transceiver.setCodecPreferences(ordered);
      }
    }
  }

  // ---- the chat (an RTCDataChannel on the call's connection) ------------------------------------------------------

  function useChannel(channel) {
    demo.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.onopen = () => {
      log('chat: channel open');
      setChatEnabled(true);
    };
    channel.onclose = () => {
      log('chat: channel closed');
      if (demo.channel === channel) setChatEnabled(false);
    };
    channel.onmessage = (event) => showMessage('them', event.data);
    if (channel.readyState === 'open') setChatEnabled(true);
  }

  function setChatEnabled(enabled) {
    for (const id of ['message', 'send', 'send-bytes']) $(id).disabled = !enabled;
  }

  /** Adds a message to the list: text as it is, bytes as hex. */
  function showMessage(from, data) {
    const entry =
      typeof data === 'string'
        ? { from, kind: 'text', text: data }
        : { from, kind: 'bytes', bytes: Array.from(new Uint8Array(data)) };
    demo.chat.push(entry);
    const item = document.createElement('li');
    if (from === 'me') item.className = 'mine';
    const shown =
      entry.kind === 'text'
        ? entry.text
        : `(${entry.bytes.length} bytes) ${entry.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
    item.textContent = `${from === 'me' ? 'you' : 'them'}: ${shown}`;
    $('messages').append(item);
    $('messages').scrollTop = $('messages').scrollHeight;
  }

  /** Sends bytes on the chat's channel (what "Send as bytes" does with the field's text). */
  function sendBytes(bytes) {
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    demo.channel.send(data);
    showMessage('me', data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  }

  $('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('message').value;
    if (!text || demo.channel?.readyState !== 'open') return;
    demo.channel.send(text);
    showMessage('me', text);
    $('message').value = '';
  });
  $('send-bytes').addEventListener('click', () => {
    const text = $('message').value;
    if (!text || demo.channel?.readyState !== 'open') return;
    sendBytes(new TextEncoder().encode(text));
    $('message').value = '';
  });

  // ---- extra media for tests --------------------------------------------------------------------------------------

  /**
   * A canvas drawn solid magenta with a white bar moving along its top strip (outside the centre of each quadrant),
   * as its own captureStream() track: what a screen share looks like to the connection.
   */
  function canvasTrack() {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    const context = canvas.getContext('2d');
    let x = 0;
    const draw = () => {
      context.fillStyle = '#ff00ff';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.fillStyle = '#ffffff';
      context.fillRect(x, 8, 48, 32);
      x = (x + 8) % (canvas.width - 48);
    };
    draw();
    const timer = setInterval(draw, 1000 / 30);
    const [track] = canvas.captureStream(30).getVideoTracks();
    track.addEventListener('ended', () => clearInterval(timer));
    return track;
  }

  /** Replaces the camera track of our video sender with a canvas track (no renegotiation), like a screen share. */
  async function replaceTrackWithCanvas() {
    if (!videoSender) throw new Error('no video sender yet');
    const track = canvasTrack();
    await videoSender.replaceTrack(track);
    $('local').srcObject = new MediaStream([track]);
    log('media: replaceTrack(canvas) on the video sender');
    return track.id;
  }

  /** Adds a second outgoing video track (a canvas), which renegotiates the connection. */
  function addSecondVideoTrack() {
    const track = canvasTrack();
    demo.pc.addTrack(track, new MediaStream([track]));
    log('media: addTrack(second video, canvas)');
    return track.id;
  }

  /** A summary of getStats(): per inbound/outbound RTP stream, the counters tests look at. */
  async function stats() {
    const report = await demo.pc.getStats();
    const out = { inbound: [], outbound: [] };
    for (const s of report.values()) {
      if (s.type === 'inbound-rtp') {
        out.inbound.push({
          kind: s.kind,
          mid: s.mid,
          packetsReceived: s.packetsReceived || 0,
          bytesReceived: s.bytesReceived || 0,
          framesDecoded: s.framesDecoded || 0,
          pliCount: s.pliCount || 0,
          totalAudioEnergy: s.totalAudioEnergy || 0,
          codec: report.get(s.codecId)?.mimeType,
        });
      } else if (s.type === 'outbound-rtp') {
        out.outbound.push({
          kind: s.kind,
          mid: s.mid,
          packetsSent: s.packetsSent || 0,
          bytesSent: s.bytesSent || 0,
          framesEncoded: s.framesEncoded || 0,
          codec: report.get(s.codecId)?.mimeType,
        });
      }
    }
    return out;
  }

  function hangUp() {
    demo.pc?.close();
    for (const track of demo.localStream?.getTracks() || []) track.stop();
    setState('closed');
  }

  // ---- start --------------------------------------------------------------------------------------------------------

  async function start() {
    if (!SEND_MODES.includes(sendMode)) throw new Error(`send=${sendMode} is not one of ${SEND_MODES.join(', ')}`);
    log(`joining room ${room} as ${name}`);
    demo.localStream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: 640, height: 480 },
    });
    $('local').srcObject = demo.localStream;
    log('media: got camera and microphone');
    createConnection();
    connectSignalling();
  }

  start().catch((error) => fail('start', error));

  // ---- iframe mode ---------------------------------------------------------------------------------------------------

  function runInIframe() {
    const inner = new URL(location.href);
    inner.searchParams.delete('iframe');
    inner.searchParams.set('framed', '1');
    for (const id of ['videos', 'chat', 'log']) $(id).hidden = true;
    const frame = document.createElement('iframe');
    frame.id = 'call';
    frame.allow = 'camera; microphone; autoplay';
    frame.src = inner.pathname + inner.search;
    document.body.append(frame);
    $('status').textContent = 'in the frame below';
    // Tests read window.demo on the top page: hand them the framed page's.
    Object.defineProperty(window, 'demo', {
      configurable: true,
      get: () => frame.contentWindow?.demo ?? null,
    });
  }
})();

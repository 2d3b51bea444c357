// Renderer entry: connect to the engine (preload bridge or WebSocket), wire the store, render.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectEngine } from './api/client';
import { setupAttach } from './store/attach';
import { setupPanes } from './store/panes';
import { setupPeerClock } from './store/peer-clock';
import { attach, detach, setConnectionClosed, setConnectionRefused } from './store/workbench';
import './styles.css';

// Every subscription's disposer, run when the page goes away.
const disposers = [setupAttach(), setupPeerClock(), setupPanes()];
// Every new client (the first, and one after the engine came back) is wired to the store (which
// drops the previous client's listeners); a lost connection shows at once, not after a call
// times out.
const engine = connectEngine({
  onClient: (client) => void attach(client),
  onLost: (reason) => setConnectionClosed(reason),
  onRefused: (refusal) => setConnectionRefused(refusal),
});
window.addEventListener('beforeunload', () => {
  detach();
  for (const dispose of disposers) dispose();
  engine.dispose();
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App mode={engine.kind} onRetryEngine={() => engine.retry()} />
  </StrictMode>,
);

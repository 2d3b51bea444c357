// Renderer entry: connect to the engine (preload bridge or WebSocket), wire the store, render.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectEngine } from './api/client';
import { setupAttach } from './store/attach';
import { setupPanes } from './store/panes';
import { setupPeerClock } from './store/peer-clock';
import { attach, setConnectionClosed } from './store/workbench';
import './styles.css';

setupAttach();
setupPeerClock();
const disposePanes = setupPanes();
// Every new client (the first, and one after the engine came back) is wired to the store; a
// lost connection shows at once, not after a call times out.
const engine = connectEngine({
  onClient: (client) => void attach(client),
  onLost: (reason) => setConnectionClosed(reason),
});
window.addEventListener('beforeunload', () => {
  disposePanes();
  engine.dispose();
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App mode={engine.kind} />
  </StrictMode>,
);

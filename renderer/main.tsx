// Renderer entry: connect to the engine (preload bridge or WebSocket), wire the store, render.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectEngine } from './api/client';
import { setupPanes } from './store/panes';
import { attach, setConnectionClosed } from './store/workbench';
import './styles.css';

const { client, kind } = connectEngine();
const disposePanes = setupPanes();
void attach(client);
window.addEventListener('beforeunload', () => {
  disposePanes();
  client.dispose();
});
// A dead transport rejects calls; reflect it in the status bar.
const watchdog = setInterval(() => {
  client.invoke('session.status').catch((error: Error) => {
    setConnectionClosed(error.message);
    clearInterval(watchdog);
  });
}, 5000);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App mode={kind} />
  </StrictMode>,
);

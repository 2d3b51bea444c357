// The first thing a user sees (like Wireshark's interface list): the VMs to attach to, the
// session form with the debugger's command lines, the recorded sessions. Once a session runs,
// the packet view takes over; the toolbar's "Attach…" comes back here.

import { useEffect } from 'react';
import { attachActions, useAttach } from '../../store/attach';
import { useWorkbench } from '../../store/workbench';
import { StatusBar } from '../StatusBar';
import { ConfirmStart } from './ConfirmStart';
import { RecordedSessions } from './RecordedSessions';
import { SessionForm } from './SessionForm';
import { VmTable } from './VmTable';
import './attach.css';

/** The VM list and the recorded sessions are read again this often while the page shows. */
const REFRESH_MS = 5000;

export function AttachPage(props: { mode: 'electron' | 'web' }): React.JSX.Element {
  const connected = useWorkbench((s) => s.connection === 'open');
  const session = useWorkbench((s) => s.session);
  const totalRows = useWorkbench((s) => s.totalRows);

  useEffect(() => {
    if (!connected) return;
    void attachActions.refresh();
    const timer = setInterval(() => {
      void attachActions.refreshVms();
      void attachActions.refreshCaptures();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [connected]);

  const hasView = session.state !== 'idle' || totalRows > 0;
  return (
    <div className="attach-app">
      <header className="toolbar attach-header">
        <span className="brand">kdscope</span>
        <span className="attach-title">Attach to a VM</span>
        <span className="spacer" />
        {session.state === 'running' && session.info && (
          <span className="attach-running" data-testid="attach-running">
            Running: <code>{session.info.debugger}</code> ↔ <code>{session.info.target}</code>
          </span>
        )}
        {hasView && (
          <button
            type="button"
            data-testid="back-to-packets"
            onClick={() => attachActions.showPackets()}
          >
            Packets →
          </button>
        )}
      </header>
      <main className="attach-page" data-testid="attach-page">
        <VmTable />
        <SessionForm />
        <RecordedSessions mode={props.mode} />
      </main>
      <StatusBar mode={props.mode} />
      <ConfirmStart />
    </div>
  );
}

/** Which page shows: the attach page, or the packet view. */
export const useAttachPage = (): boolean => useAttach((s) => s.page === 'attach');

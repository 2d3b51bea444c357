import { useRef } from 'react';
import { layout, useLayout } from './store/layout';
import { AttachPage, useAttachPage } from './views/attach/AttachPage';
import { CaptureDialogs } from './views/captures/CaptureDialogs';
import { BottomPanel } from './views/BottomPanel';
import { CallDialog } from './views/CallDialog';
import { ContextMenu } from './views/ContextMenu';
import { Details } from './views/Details';
import { EngineBanner } from './views/EngineBanner';
import { FilterBar } from './views/FilterBar';
import { FindBar } from './views/FindBar';
import { GoToPacket } from './views/GoToPacket';
import { HexView } from './views/HexView';
import { Shortcuts } from './views/Shortcuts';
import { Splitter } from './views/Splitter';
import { StatusBar } from './views/StatusBar';
import { Timeline } from './views/Timeline';
import { Toolbar } from './views/Toolbar';

/** Packet list over details | hex, resizable both ways; the tabbed panel under them. */
function Panes(): React.JSX.Element {
  const listShare = useLayout((s) => s.listShare);
  const detailsShare = useLayout((s) => s.detailsShare);
  const bottomHeight = useLayout((s) => s.bottomHeight);
  const upperRef = useRef<HTMLDivElement>(null);
  const lowerRef = useRef<HTMLDivElement>(null);
  const mainRef = useRef<HTMLElement>(null);
  const share = (el: HTMLElement | null, pos: number, vertical: boolean): number | null => {
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return vertical ? (pos - r.left) / r.width : (pos - r.top) / r.height;
  };
  return (
    <main className="panes" ref={mainRef}>
      <div className="upper" ref={upperRef}>
        <div className="list-area" style={{ flexGrow: listShare }}>
          <Timeline />
        </div>
        <Splitter
          orientation="horizontal"
          label="Resize the packet list"
          testId="split-list"
          value={listShare}
          onDrag={(y) => {
            const v = share(upperRef.current, y, false);
            if (v !== null) layout.setListShare(v);
          }}
          onStep={(px) => {
            const h = upperRef.current?.clientHeight ?? 1;
            layout.setListShare(listShare + px / h);
          }}
        />
        <div className="lower" ref={lowerRef} style={{ flexGrow: 1 - listShare }}>
          <div className="details-area" style={{ flexGrow: detailsShare }}>
            <Details />
          </div>
          <Splitter
            orientation="vertical"
            label="Resize the details and bytes panes"
            testId="split-details"
            value={detailsShare}
            onDrag={(x) => {
              const v = share(lowerRef.current, x, true);
              if (v !== null) layout.setDetailsShare(v);
            }}
            onStep={(px) => {
              const w = lowerRef.current?.clientWidth ?? 1;
              layout.setDetailsShare(detailsShare + px / w);
            }}
          />
          <div className="hex-area" style={{ flexGrow: 1 - detailsShare }}>
            <HexView />
          </div>
        </div>
      </div>
      {bottomHeight > 0 && (
        <Splitter
          orientation="horizontal"
          label="Resize the panel"
          testId="split-bottom"
          value={bottomHeight}
          onDrag={(y) => {
            const r = mainRef.current?.getBoundingClientRect();
            if (r) layout.setBottomHeight(Math.min(r.height - 120, Math.max(60, r.bottom - y)));
          }}
          onStep={(px) => layout.setBottomHeight(Math.max(60, bottomHeight - px))}
        />
      )}
      <BottomPanel />
    </main>
  );
}

export function App(props: {
  mode: 'electron' | 'web';
  /** Asks the engine again after it refused this page (web mode). */
  onRetryEngine?: () => void;
}): React.JSX.Element {
  const attaching = useAttachPage();
  return (
    <>
      <EngineBanner mode={props.mode} onRetry={props.onRetryEngine} />
      {attaching ? <AttachPage mode={props.mode} /> : <PacketView mode={props.mode} />}
      <CaptureDialogs />
    </>
  );
}

/** The session's packets: Wireshark's three panes, the tabbed panel, dialogs and keys. */
function PacketView(props: { mode: 'electron' | 'web' }): React.JSX.Element {
  return (
    <div className="app">
      <Toolbar />
      <FilterBar />
      <FindBar />
      <Panes />
      <StatusBar mode={props.mode} />
      <GoToPacket />
      <CallDialog />
      <ContextMenu />
      <Shortcuts />
    </div>
  );
}

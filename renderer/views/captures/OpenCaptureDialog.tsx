// Open capture (Ctrl+O, the toolbar, the attach page): a pcap or pcapng file, .gz or not, or a
// raw pair (one file per direction). Web mode uploads the file chosen; the desktop app asks the
// system's dialog for a path. Drag-and-drop onto the window does the same (CaptureDrop).

import { useRef, useState } from 'react';
import { captureActions, isDesktop, useCaptures } from '../../store/captures';
import { formatBytes } from '../format';
import { Modal } from '../Modal';

export const CAPTURE_ACCEPT = '.pcap,.pcapng,.cap,.ntar,.gz,application/vnd.tcpdump.pcap';

export function OpenCaptureDialog(): React.JSX.Element | null {
  const dialog = useCaptures((s) => s.dialog);
  // Mounted afresh each time it opens: the raw pair's choices start empty.
  return dialog === 'open' ? <OpenForm /> : null;
}

function OpenForm(): React.JSX.Element {
  const busy = useCaptures((s) => s.busy);
  const uploaded = useCaptures((s) => s.uploaded);
  const error = useCaptures((s) => s.error);
  const recent = useCaptures((s) => s.recent);
  const chooser = useRef<HTMLInputElement>(null);
  const [pair, setPair] = useState<{ debugger?: File; target?: File }>({});
  const desktop = isDesktop();
  return (
    <Modal
      testId="open-dialog"
      className="open-dialog"
      title="Open capture"
      onCancel={() => captureActions.close()}
    >
      <p className="dim">
        pcap or pcapng, gzipped or not (a KDNET capture asks for its key). You can also drop a file
        on the window.
      </p>
      <div className="open-row">
        <button
          type="button"
          className="primary"
          data-testid="open-choose"
          disabled={busy !== null}
          onClick={() =>
            desktop ? void captureActions.chooseWithDialog() : chooser.current?.click()
          }
        >
          Choose a capture file…
        </button>
        <input
          ref={chooser}
          type="file"
          accept={CAPTURE_ACCEPT}
          hidden
          data-testid="open-file-input"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) void captureActions.openFile(file);
          }}
        />
      </div>
      <fieldset className="open-pair">
        <legend>Raw pair: one file per direction</legend>
        {desktop ? (
          <button
            type="button"
            disabled={busy !== null}
            onClick={() => void captureActions.chooseRawPairWithDialogs()}
          >
            Choose the two streams…
          </button>
        ) : (
          <>
            <label className="field-row">
              <span>Debugger → target</span>
              <input
                type="file"
                data-testid="open-pair-debugger"
                onChange={(e) => setPair((p) => ({ ...p, debugger: e.target.files?.[0] }))}
              />
            </label>
            <label className="field-row">
              <span>Target → debugger</span>
              <input
                type="file"
                data-testid="open-pair-target"
                onChange={(e) => setPair((p) => ({ ...p, target: e.target.files?.[0] }))}
              />
            </label>
            <button
              type="button"
              data-testid="open-pair"
              disabled={!pair.debugger || !pair.target || busy !== null}
              onClick={() => void captureActions.openRawPair(pair.debugger!, pair.target!)}
            >
              Open the pair
            </button>
          </>
        )}
      </fieldset>
      {recent.length > 0 && (
        <div className="open-recent">
          <div className="dim">Recently opened</div>
          <ul>
            {recent.slice(0, 6).map((r) => (
              <li key={`${r.path}\n${r.targetPath ?? ''}`}>
                <button
                  type="button"
                  className="link"
                  title={r.targetPath ? `${r.path} + ${r.targetPath}` : r.path}
                  disabled={busy !== null}
                  onClick={() => void captureActions.openPath(r.path, r.targetPath, r.name)}
                >
                  {r.name}
                </button>{' '}
                <span className="dim">
                  {formatBytes(r.bytes)}
                  {r.kdnet ? ' · KDNET' : ''}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {busy && (
        <div className="open-busy" data-testid="open-busy">
          {busy}
          {uploaded !== null && <progress max={1} value={uploaded} />}
        </div>
      )}
      {error && (
        <p className="err-text" role="alert" data-testid="open-error">
          {error}
        </p>
      )}
      <div className="modal-actions">
        <button type="button" disabled={busy !== null} onClick={() => captureActions.close()}>
          Close
        </button>
      </div>
    </Modal>
  );
}

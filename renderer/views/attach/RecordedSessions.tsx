// The recorded sessions in the captures folder, newest first, the running one marked; each can
// be downloaded (web mode) or shown in its folder (desktop).

import type { RecordedCapture } from '../../../electron/api/contract';
import { showCaptureInFolder } from '../../api/client';
import { useAttach } from '../../store/attach';
import { formatBytes } from '../format';

const when = (ms: number): string => {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
};

export function RecordedSessions(props: { mode: 'electron' | 'web' }): React.JSX.Element {
  const captures = useAttach((s) => s.captures);
  return (
    <section className="attach-card captures-card" aria-label="Recorded sessions">
      <div className="attach-card-title">
        <span>Recorded sessions</span>
        <span className="dim"> · every session is recorded; newest first</span>
      </div>
      {captures.length === 0 ? (
        <div className="empty small">No recorded sessions yet.</div>
      ) : (
        <div className="captures-scroll">
          <table className="captures-table" data-testid="captures">
            <tbody>
              {captures.map((c) => (
                <CaptureRow key={c.path} capture={c} mode={props.mode} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function CaptureRow(props: {
  capture: RecordedCapture;
  mode: 'electron' | 'web';
}): React.JSX.Element {
  const c = props.capture;
  return (
    <tr data-testid="capture-row" data-name={c.name} className={c.live ? 'live' : ''}>
      <td className="mono" title={c.path}>
        {c.name}
        {c.live && <span className="badge live-badge">recording</span>}
      </td>
      <td className="num">{formatBytes(c.bytes)}</td>
      <td className="dim">{when(c.modifiedAt)}</td>
      <td className="capture-actions">
        {props.mode === 'web' ? (
          <a
            href={`captures/${encodeURIComponent(c.name)}`}
            download={c.name}
            data-testid="capture-download"
          >
            Download
          </a>
        ) : (
          <button type="button" onClick={() => showCaptureInFolder(c.name)}>
            Show in folder
          </button>
        )}
      </td>
    </tr>
  );
}

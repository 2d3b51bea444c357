// Export Specified Packets, as Wireshark has it: all packets, the displayed ones (after the
// display filter), the marked ones (Ctrl+M) or a range of no.; as the seed's pcap or as pcapng;
// for a KDNET source, the datagrams as captured (encrypted) or the decrypted KD stream. A
// progress bar and Cancel while it runs; web mode downloads the file when it is done.

import { useState } from 'react';
import type { CaptureFormat, ExportProgress } from '../../../electron/api/contract';
import {
  captureActions,
  exportFraction,
  exportName,
  isDesktop,
  isKdnetView,
  rowBounds,
  useCaptures,
  type ExportScope,
} from '../../store/captures';
import { useMarks } from '../../store/marks';
import { useWorkbench } from '../../store/workbench';
import { formatBytes, formatCount } from '../format';
import { Modal } from '../Modal';

export function ExportDialog(): React.JSX.Element | null {
  const dialog = useCaptures((s) => s.dialog);
  if (dialog !== 'export') return null;
  return <ExportForm />;
}

function ExportForm(): React.JSX.Element {
  const session = useWorkbench((s) => s.session);
  const displayed = useWorkbench((s) => s.displayCount);
  const filtered = useWorkbench((s) => s.filterApplied !== '');
  const marked = useMarks((s) => s.marked.size);
  const error = useCaptures((s) => s.error);
  const exporting = useCaptures((s) => s.exporting);
  const kdnet = isKdnetView(session);
  const frames = session.state === 'running' ? undefined : session.info?.opened?.frames;
  const bounds = rowBounds();
  const [scope, setScope] = useState<ExportScope>(filtered ? 'displayed' : 'all');
  const [format, setFormat] = useState<CaptureFormat>('pcap');
  const [decrypt, setDecrypt] = useState(false);
  const [from, setFrom] = useState(String(bounds?.first ?? 1));
  const [to, setTo] = useState(String(bounds?.last ?? 1));
  const [name, setName] = useState(() => exportName(session, 'pcap'));
  // The file name's extension follows the format.
  const chooseFormat = (f: CaptureFormat): void => {
    setFormat(f);
    setName((n) => `${n.replace(/\.(pcap|pcapng)$/i, '')}.${f}`);
  };

  const progress = exporting?.progress ?? null;
  const running = exporting !== null && (progress === null || progress.state === 'running');
  const fraction = exportFraction(progress);
  const start = (): void =>
    void captureActions.startExport({
      scope,
      format,
      decrypt: kdnet && decrypt,
      from: Number(from),
      to: Number(to),
      name,
    });
  const option = (value: ExportScope, label: string, note?: string): React.JSX.Element => (
    <label className="radio">
      <input
        type="radio"
        name="export-scope"
        value={value}
        data-testid={`export-scope-${value}`}
        checked={scope === value}
        disabled={running}
        onChange={() => setScope(value)}
      />
      {label}
      {note !== undefined && <span className="dim"> ({note})</span>}
    </label>
  );
  return (
    <Modal
      testId="export-dialog"
      className="export-dialog"
      title="Export specified packets"
      onCancel={() => !running && captureActions.close()}
      onSubmit={() => !running && start()}
    >
      <fieldset>
        <legend>Packets</legend>
        {option(
          'all',
          'All packets: the whole source',
          frames === undefined ? undefined : `${formatCount(frames)} frames`,
        )}
        {option(
          'displayed',
          filtered ? 'Displayed (the display filter’s)' : 'Displayed',
          formatCount(displayed),
        )}
        {option('marked', 'Marked (Ctrl+M)', formatCount(marked))}
        <label className="radio">
          <input
            type="radio"
            name="export-scope"
            value="range"
            data-testid="export-scope-range"
            checked={scope === 'range'}
            disabled={running}
            onChange={() => setScope('range')}
          />
          Range of no.
          <input
            className="no-field"
            inputMode="numeric"
            aria-label="From no."
            data-testid="export-from"
            value={from}
            disabled={running}
            onFocus={() => setScope('range')}
            onChange={(e) => setFrom(e.target.value)}
          />
          –
          <input
            className="no-field"
            inputMode="numeric"
            aria-label="To no."
            data-testid="export-to"
            value={to}
            disabled={running}
            onFocus={() => setScope('range')}
            onChange={(e) => setTo(e.target.value)}
          />
        </label>
      </fieldset>
      <fieldset>
        <legend>Format</legend>
        <label className="radio">
          <input
            type="radio"
            name="export-format"
            data-testid="export-format-pcap"
            checked={format === 'pcap'}
            disabled={running}
            onChange={() => chooseFormat('pcap')}
          />
          pcap <span className="dim">(the seed’s format)</span>
        </label>
        <label className="radio">
          <input
            type="radio"
            name="export-format"
            data-testid="export-format-pcapng"
            checked={format === 'pcapng'}
            disabled={running}
            onChange={() => chooseFormat('pcapng')}
          />
          pcapng
        </label>
        {kdnet && (
          <label className="radio" title="Without it, the datagrams stay encrypted, as captured">
            <input
              type="checkbox"
              data-testid="export-decrypt"
              checked={decrypt}
              disabled={running}
              onChange={(e) => setDecrypt(e.target.checked)}
            />
            Decrypted KD stream{' '}
            <span className="dim">(Wireshark reads it with kdscope.lua, no key)</span>
          </label>
        )}
      </fieldset>
      {!isDesktop() && (
        <label className="field-row">
          <span>File name</span>
          <input
            data-testid="export-name"
            value={name}
            disabled={running}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
      )}
      {exporting && (
        <div className="export-progress" data-testid="export-progress">
          <progress
            max={1}
            data-testid="export-bar"
            {...(fraction === null ? {} : { value: fraction })}
          />
          <span data-testid="export-status" data-state={progress?.state ?? 'starting'}>
            {exportLine(exporting.rows, progress)}
          </span>
        </div>
      )}
      {error && (
        <p className="err-text" role="alert" data-testid="export-error">
          {error}
        </p>
      )}
      <div className="modal-actions">
        {running ? (
          <button
            type="button"
            data-testid="export-cancel"
            disabled={!exporting?.id}
            onClick={() => void captureActions.cancelExport()}
          >
            Cancel export
          </button>
        ) : (
          <button type="button" data-testid="export-close" onClick={() => captureActions.close()}>
            Close
          </button>
        )}
        <button type="submit" className="primary" data-testid="export-ok" disabled={running}>
          Export
        </button>
      </div>
    </Modal>
  );
}

function exportLine(rows: number | null, progress: ExportProgress | null): string {
  const what = rows === null ? 'all packets' : `${formatCount(rows)} rows`;
  if (!progress) return `Exporting ${what}…`;
  const pass = progress.passes > 1 ? ` (pass ${progress.pass} of ${progress.passes})` : '';
  switch (progress.state) {
    case 'running':
      return `Exporting ${what}${pass}: ${formatCount(progress.framesRead)} frames read, ${formatCount(progress.framesWritten)} written`;
    case 'cancelled':
      return 'Export cancelled; nothing was kept.';
    case 'failed':
      return `Export failed: ${progress.error ?? 'unknown error'}`;
    case 'done': {
      const file = progress.file;
      const where = file ? `${file.path ?? file.name} (${formatBytes(file.bytes)})` : '';
      const how = file?.download ? 'downloaded as' : 'saved to';
      // Chosen rows of a KDNET capture kept encrypted: their datagrams need the session's
      // control datagrams (the key exchange) to be read, so those go too and count as frames.
      const kdnetControl =
        rows !== null && progress.passes > 1
          ? ` (the ${formatCount(rows)} rows' datagrams and the KDNET control datagrams a reader needs for the keys)`
          : '';
      return `Exported ${formatCount(progress.framesWritten)} frames${kdnetControl}: ${how} ${where}${progress.warning ? ` — ${progress.warning}` : ''}`;
    }
  }
}

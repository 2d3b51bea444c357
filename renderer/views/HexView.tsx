// Offset | 16 hex bytes | ASCII. The selected field's bytes are highlighted; clicking a byte
// selects the most specific field that covers it.

import { actions, useWorkbench } from '../store/workbench';
import { fieldAt } from './field-tree';

const PER_LINE = 16;

const printable = (b: number): string => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·');

export function HexView(): React.JSX.Element {
  const details = useWorkbench((s) => s.details);
  const field = useWorkbench((s) => s.field);
  const bytes = details?.bytes;
  const lo = field?.offset ?? -1;
  const hi = field ? field.offset + field.length : -1;

  const pick = (offset: number): void => {
    if (!details) return;
    const hit = fieldAt(details.fields, offset);
    if (hit)
      actions.selectField({ path: hit.path, offset: hit.node.offset, length: hit.node.length });
  };

  const lines: React.JSX.Element[] = [];
  if (bytes) {
    for (let at = 0; at < bytes.length; at += PER_LINE) {
      const hexCells: React.JSX.Element[] = [];
      const asciiCells: React.JSX.Element[] = [];
      for (let i = at; i < at + PER_LINE; i++) {
        const b = bytes[i];
        const cls = i >= lo && i < hi ? 'hl' : '';
        if (b === undefined) {
          hexCells.push(<span key={i} className="hb pad" />);
          continue;
        }
        hexCells.push(
          <span key={i} className={`hb ${cls}`} data-offset={i} onClick={() => pick(i)}>
            {b.toString(16).padStart(2, '0')}
          </span>,
        );
        asciiCells.push(
          <span key={i} className={`ab ${cls}`} data-offset={i} onClick={() => pick(i)}>
            {printable(b)}
          </span>,
        );
      }
      lines.push(
        <div className="hex-line" key={at}>
          <span className="hex-off">{at.toString(16).padStart(4, '0')}</span>
          <span className="hex-bytes">{hexCells}</span>
          <span className="hex-ascii">{asciiCells}</span>
        </div>,
      );
    }
  }
  return (
    <section className="hexview" aria-label="Packet bytes" data-testid="hex">
      <div className="pane-title">
        Bytes{field ? ` · offset ${field.offset} length ${field.length}` : ''}
      </div>
      <div className="pane-body mono">{lines}</div>
    </section>
  );
}

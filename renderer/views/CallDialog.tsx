// The state-change and manipulate dialog: request, ACKs and response side by side, decoded
// (protocol/kd/payloads/inspect.ts): fields, NTSTATUS / exception code by name, memory as
// hex + ASCII at its address, a CONTEXT as a register table, module paths and text; the round
// trip; step to the previous / next call of the same API; filter on this API.

import { useEffect, useRef, useState } from 'react';
import type { Direction } from '../../protocol/kd/events';
import { hexDump, inspectPacket, type PacketInspection } from '../../protocol/kd/payloads/inspect';
import type { RegisterValue } from '../../protocol/kd/payloads/context';
import type { PacketRecord } from '../../protocol/session/record';
import {
  callDialog,
  callParts,
  filterFor,
  stepCall,
  useCallDialog,
  type CallParts,
} from '../store/call-dialog';
import { actions, displayIndexOf, packetBytes, useWorkbench, timeOrigin } from '../store/workbench';
import { dirText, flagsText, relativeTime } from './format';

type Loaded = { state: 'loading' } | { state: 'gone' } | { state: 'ok'; i: PacketInspection };

function useInspection(no: number | undefined, dir: Direction | undefined): Loaded | null {
  const [loaded, setLoaded] = useState<{ no: number; value: Loaded } | null>(null);
  useEffect(() => {
    if (no === undefined || dir === undefined) return;
    let live = true;
    packetBytes(no)
      .then((b) => {
        if (live)
          setLoaded({
            no,
            value: b ? { state: 'ok', i: inspectPacket(b.bytes, dir) } : { state: 'gone' },
          });
      })
      .catch(() => {
        if (live) setLoaded({ no, value: { state: 'gone' } });
      });
    return () => {
      live = false;
    };
  }, [no, dir]);
  if (no === undefined) return null;
  return loaded?.no === no ? loaded.value : { state: 'loading' };
}

const ms = (a: number, b: number): string => `${(b - a).toFixed(3)} ms`;

function goTo(no: number): void {
  if (displayIndexOf(no) !== null) void actions.selectNo(no);
}

function PacketLink(props: { r: PacketRecord }): React.JSX.Element {
  const shown = displayIndexOf(props.r.no) !== null;
  return (
    <button
      type="button"
      className="link"
      title={
        shown ? 'Select it in the packet list' : 'Hidden by the filter or no longer in the list'
      }
      disabled={!shown}
      onClick={() => goTo(props.r.no)}
    >
      {props.r.no}
    </button>
  );
}

function MemoryDump(props: { memory: NonNullable<PacketInspection['memory']> }): React.JSX.Element {
  const lines = hexDump(props.memory.bytes, props.memory.address);
  return (
    <div className="call-block" data-testid="call-memory">
      <div className="call-block-title">
        {props.memory.label}
        {props.memory.address !== null ? ` at ${props.memory.address}` : ''} ·{' '}
        {props.memory.bytes.length} bytes
      </div>
      <div className="hexdump mono">
        {lines.map((l) => (
          <div key={l.address} className="hd-line" data-testid="hex-line">
            <span className="hd-addr">{l.address}</span>
            <span className="hd-hex">{l.hex.join(' ')}</span>
            <span className="hd-ascii">{l.ascii}</span>
          </div>
        ))}
      </div>
    </div>
  );
}

const GROUP_TITLES: Readonly<Record<RegisterValue['group'], string>> = {
  integer: 'Integer',
  control: 'Control',
  segments: 'Segments',
  debug: 'Debug',
  float: 'Floating point / SSE',
  other: 'Other',
};

function Registers(props: { registers: readonly RegisterValue[] }): React.JSX.Element {
  const groups = [...new Set(props.registers.map((r) => r.group))];
  return (
    <div className="call-block" data-testid="call-registers">
      <div className="call-block-title">CONTEXT (AMD64) · {props.registers.length} registers</div>
      {groups.map((g) => (
        <table key={g} className="reg-table mono">
          <caption>{GROUP_TITLES[g]}</caption>
          <tbody>
            {props.registers
              .filter((r) => r.group === g)
              .map((r) => (
                <tr key={r.name} data-name={r.name}>
                  <th scope="row">{r.name}</th>
                  <td>{r.value}</td>
                  <td className="dim">{r.note ?? ''}</td>
                </tr>
              ))}
          </tbody>
        </table>
      ))}
    </div>
  );
}

function PacketPanel(props: {
  title: string;
  r: PacketRecord | null;
  testId: string;
  missing?: number | null;
}): React.JSX.Element {
  const { r } = props;
  const loaded = useInspection(r?.no, r?.dir);
  const origin = timeOrigin();
  return (
    <section className="call-panel" data-testid={props.testId} aria-label={props.title}>
      <h3>
        {props.title}
        {r && (
          <>
            {' '}
            · packet <PacketLink r={r} /> · {dirText(r)} · {r.length} bytes · t=
            {relativeTime(r.time, origin || r.time)} s
          </>
        )}
      </h3>
      {!r && (
        <div className="empty small">
          {props.missing
            ? `Packet ${props.missing} is no longer in memory.`
            : props.testId === 'call-response'
              ? 'No response (yet).'
              : 'None.'}
        </div>
      )}
      {r && r.flags !== 0 && <div className="call-flags">Flags: {flagsText(r.flags)}</div>}
      {loaded?.state === 'loading' && <div className="empty small">Loading…</div>}
      {loaded?.state === 'gone' && (
        <div className="empty small">Its bytes are no longer in memory (see the capture).</div>
      )}
      {loaded?.state === 'ok' && <Inspection i={loaded.i} />}
    </section>
  );
}

function Inspection(props: { i: PacketInspection }): React.JSX.Element {
  const { i } = props;
  return (
    <>
      <div className="call-name">
        {i.name} <span className="dim">({i.role})</span>
      </div>
      {i.status && (
        <div className={`call-status ${i.status.ok ? 'ok' : 'bad'}`} data-testid="call-status">
          {i.status.label}: {i.status.text}
        </div>
      )}
      {i.problems.length > 0 && (
        <ul className="call-problems" role="alert">
          {i.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {i.text && (
        <div className="call-block" data-testid="call-text">
          <div className="call-block-title">{i.text.label}</div>
          <pre className="call-text mono">{i.text.value}</pre>
        </div>
      )}
      <table className="call-fields mono" data-testid="call-fields">
        <tbody>
          {i.rows.map((row, k) => (
            <tr key={k} data-name={row.name} className={row.error ? 'tree-error' : ''}>
              <th scope="row" title={row.group}>
                {row.name}
              </th>
              <td>
                {row.value}
                {row.error ? ` [${row.error}]` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {i.memory && <MemoryDump memory={i.memory} />}
      {i.registers && <Registers registers={i.registers} />}
    </>
  );
}

function AckPanel(props: { parts: CallParts }): React.JSX.Element {
  const { first, firstAck, reply, replyAck } = props.parts;
  const line = (what: string, of: PacketRecord, ack: PacketRecord | null): React.JSX.Element => (
    <div className="ack-line" data-testid="ack-line">
      <div className="dim">{what}</div>
      {ack ? (
        <div>
          packet <PacketLink r={ack} /> · {dirText(ack)} · id{' '}
          {ack.id?.toString(16).padStart(8, '0')} · {ms(of.time, ack.time)} after packet {of.no}
        </div>
      ) : (
        <div className="warn-text">none seen</div>
      )}
    </div>
  );
  return (
    <section className="call-panel call-acks" data-testid="call-ack" aria-label="ACK">
      <h3>ACK</h3>
      {line(first.dir === 'debugger->target' ? "Target's ACK" : "Debugger's ACK", first, firstAck)}
      {reply && line("Debugger's ACK of the response", reply, replyAck)}
    </section>
  );
}

export function CallDialog(): React.JSX.Element | null {
  const no = useCallDialog((s) => s.no);
  useWorkbench((s) => s.revision); // the reply and ACKs arrive after the request
  const ref = useRef<HTMLDivElement>(null);
  const opener = useRef<Element | null>(null);

  useEffect(() => {
    if (no === null) return;
    opener.current ??= document.activeElement;
    ref.current?.focus();
  }, [no]);
  useEffect(() => {
    if (no !== null) return;
    // Back to where the user was (the packet list) when the dialog closes.
    (opener.current as HTMLElement | null)?.focus?.();
    opener.current = null;
  }, [no]);

  if (no === null) return null;
  const parts = callParts(no);
  const close = (): void => callDialog.close();
  const onKeyDown = (e: React.KeyboardEvent): void => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    } else if (e.altKey && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
      e.preventDefault();
      callDialog.step(e.key === 'ArrowLeft' ? -1 : 1);
    }
  };
  const title = parts
    ? parts.kind === 'manipulate'
      ? `${parts.first.apiName ?? 'Manipulate'} call`
      : parts.kind === 'state-change'
        ? `State change: ${parts.first.newStateName ?? ''}`
        : `${parts.first.apiName ?? parts.first.typeName ?? parts.first.kind} packet`
    : `Packet ${no}`;
  const prev = stepCall(no, -1);
  const next = stepCall(no, 1);
  const rtt = parts?.reply?.rttMs;
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div
        ref={ref}
        className="call-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="call-title"
        data-testid="call-dialog"
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <header className="call-head">
          <h2 id="call-title">{title}</h2>
          {parts?.kind === 'manipulate' && (
            <span className="call-rtt" data-testid="call-rtt">
              {rtt !== undefined ? `Round trip ${rtt.toFixed(3)} ms` : 'No response (yet)'}
              {parts.firstAck ? ` · ACK after ${ms(parts.first.time, parts.firstAck.time)}` : ''}
            </span>
          )}
          <span className="spacer" />
          <button
            type="button"
            data-testid="call-prev"
            disabled={prev === null}
            title="Previous call of the same API (Alt+←)"
            onClick={() => callDialog.step(-1)}
          >
            ◀ Previous
          </button>
          <button
            type="button"
            data-testid="call-next"
            disabled={next === null}
            title="Next call of the same API (Alt+→)"
            onClick={() => callDialog.step(1)}
          >
            Next ▶
          </button>
          {parts && (
            <button
              type="button"
              data-testid="call-filter"
              title={filterFor(parts)}
              onClick={() => {
                callDialog.filterOnApi();
                close();
              }}
            >
              Filter on this {parts.kind === 'state-change' ? 'state' : 'API'}
            </button>
          )}
          <button type="button" data-testid="call-close" onClick={close} title="Close (Esc)">
            ✕
          </button>
        </header>
        {!parts && <div className="empty small">Packet {no} is no longer in memory.</div>}
        {parts && (
          <div className={`call-columns ${parts.kind === 'manipulate' ? 'three' : 'two'}`}>
            <PacketPanel
              title={
                parts.kind === 'manipulate'
                  ? parts.first.dir === 'debugger->target'
                    ? 'Request'
                    : 'Response (its request is gone)'
                  : parts.kind === 'state-change'
                    ? 'State change'
                    : 'Packet'
              }
              r={parts.first}
              testId="call-request"
            />
            <AckPanel parts={parts} />
            {parts.kind === 'manipulate' && (
              <PacketPanel
                title="Response"
                r={parts.reply}
                testId="call-response"
                missing={parts.missing}
              />
            )}
          </div>
        )}
      </div>
    </div>
  );
}

// The session to start: the debugger's side (the built-in scripted debugger, or the endpoint the
// bridge serves for WinDbg), the target's endpoint (filled by the VM list, or typed), mode,
// feedback, KDNET key, capture; "start debugger"; the plan's command lines to paste, or its
// problem; Start, Stop, and the VM's profile.

import { useState } from 'react';
import type { SessionMode } from '../../../electron/api/contract';
import { attachActions, useAttach } from '../../store/attach';
import { SCRIPTED_RATES, findChoice } from '../../store/attach-form';
import { useWorkbench } from '../../store/workbench';
import { copyText } from './copy';

/** A monospaced text field that takes the rest of its row (endpoints, folders, commands). */
function WideInput(props: {
  label: string;
  testId: string;
  placeholder: string;
  value: string;
  disabled?: boolean;
  onChange: (value: string) => void;
}): React.JSX.Element {
  return (
    <input
      className="mono grow"
      aria-label={props.label}
      data-testid={props.testId}
      placeholder={props.placeholder}
      value={props.value}
      disabled={props.disabled}
      spellCheck={false}
      onChange={(e) => props.onChange(e.target.value)}
    />
  );
}

export function SessionForm(): React.JSX.Element {
  const form = useAttach((s) => s.form);
  const plan = useAttach((s) => s.plan);
  const localProblem = useAttach((s) => s.localProblem);
  const starting = useAttach((s) => s.starting);
  const startError = useAttach((s) => s.startError);
  const notice = useAttach((s) => s.notice);
  const profile = useAttach((s) => s.profile);
  const profiles = useAttach((s) => s.profiles);
  const vms = useAttach((s) => s.vms);
  const choice = useAttach((s) => s.choice);
  const chosen = findChoice(vms, choice);
  const connected = useWorkbench((s) => s.connection === 'open');
  const running = useWorkbench((s) => s.session.state === 'running');
  const set = attachActions.setForm;
  const builtin = form.debuggerKind === 'builtin';
  const problem = localProblem ?? plan?.problem ?? null;
  const vmbus = (form.mode || plan?.mode) === 'vmbus';
  const [profileName, setProfileName] = useState('');

  return (
    <section className="attach-card form-card" aria-label="Session">
      <div className="attach-card-title">
        <span>
          Session{chosen ? ` · ${chosen.vm.name} ${chosen.channel.port}` : ' · any endpoint pair'}
        </span>
      </div>
      <div className="form-grid">
        <span className="form-label">Debugger</span>
        <div className="form-field">
          <label className="radio">
            <input
              type="radio"
              name="debugger-kind"
              data-testid="debugger-kind-builtin"
              checked={builtin}
              onChange={() => set({ debuggerKind: 'builtin' })}
            />
            built-in scripted debugger (in process)
          </label>
          {builtin && (
            <select
              aria-label="Scripted debugger pace"
              value={form.rate}
              onChange={(e) => set({ rate: Number(e.target.value) })}
            >
              {SCRIPTED_RATES.map(([label, value]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </div>
        <span />
        <div className="form-field">
          <label className="radio">
            <input
              type="radio"
              name="debugger-kind"
              data-testid="debugger-kind-endpoint"
              checked={!builtin}
              onChange={() => set({ debuggerKind: 'endpoint' })}
            />
            WinDbg connects to
          </label>
          <WideInput
            label="Debugger endpoint"
            testId="debugger-endpoint"
            placeholder="pipe:NAME, unix:PATH, tcp:127.0.0.1:PORT, serial:DEV"
            value={form.debugger}
            disabled={builtin}
            onChange={(value) => set({ debugger: value, debuggerKind: 'endpoint' })}
          />
        </div>

        <span className="form-label">Target</span>
        <div className="form-field">
          <WideInput
            label="Target endpoint"
            testId="target-endpoint"
            placeholder="sim, sim:vmbus, unix:PATH, tcp:HOST:PORT, pipe:NAME, vmbus:VM, vm:NAME"
            value={form.target}
            onChange={(value) => set({ target: value })}
          />
        </div>

        <span className="form-label">Mode</span>
        <div className="form-field">
          <select
            aria-label="Mode"
            data-testid="mode"
            value={form.mode}
            onChange={(e) => set({ mode: e.target.value as '' | SessionMode })}
          >
            <option value="">from the target{plan ? ` (${plan.mode})` : ''}</option>
            <option value="com">com (KD serial bytes)</option>
            <option value="vmbus">vmbus (windbg-uefi pipe messages)</option>
            <option value="kdnet">kdnet (UDP)</option>
          </select>
          <label className="check" title="windbg-uefi's feedback/resend mode (VMBus only)">
            <input
              type="checkbox"
              data-testid="feedback"
              checked={form.feedback}
              disabled={!vmbus && !form.feedback}
              onChange={(e) => set({ feedback: e.target.checked })}
            />
            feedback
          </label>
          <input
            type="password"
            className="mono key"
            aria-label="KDNET key"
            data-testid="key"
            placeholder="KDNET key"
            autoComplete="off"
            value={form.key}
            onChange={(e) => set({ key: e.target.value })}
          />
        </div>

        <span className="form-label">Capture</span>
        <div className="form-field">
          <select
            aria-label="Capture format"
            data-testid="capture-format"
            value={form.captureFormat}
            onChange={(e) => set({ captureFormat: e.target.value as 'pcap' | 'pcapng' })}
          >
            <option value="pcap">pcap</option>
            <option value="pcapng">pcapng</option>
          </select>
          <WideInput
            label="Capture folder"
            testId="capture-dir"
            placeholder="folder (default: the captures folder)"
            value={form.captureDir}
            onChange={(value) => set({ captureDir: value })}
          />
        </div>

        <span className="form-label">Start debugger</span>
        <div className="form-field">
          <label
            className="check"
            title="Runs this command once the bridge listens; stopped with the session"
          >
            <input
              type="checkbox"
              data-testid="launch-on"
              checked={form.launchOn && !builtin}
              disabled={builtin}
              onChange={(e) => set({ launchOn: e.target.checked })}
            />
            run
          </label>
          <WideInput
            label="Debugger command"
            testId="launch-command"
            placeholder={builtin ? '(the built-in debugger runs in process)' : 'a debugger command'}
            value={builtin ? '' : form.launch}
            disabled={builtin || !form.launchOn}
            onChange={(value) => set({ launch: value, launchEdited: true })}
          />
        </div>
      </div>

      {problem && (
        <div className="attach-problem" role="alert" data-testid="plan-problem">
          {problem}
        </div>
      )}
      {!builtin && plan && !problem && <DebuggerCommands />}
      {builtin && !problem && (
        <div className="attach-hint">
          The built-in scripted debugger drives the session in process (reset, version, memory and
          context reads, breakpoints, break-ins). Choose “WinDbg connects to” to put a real debugger
          on this side.
        </div>
      )}

      <div className="form-actions">
        <button
          type="button"
          className="primary"
          data-testid="start"
          disabled={!connected || starting || problem !== null}
          onClick={() => void attachActions.start()}
        >
          {running ? '▶ Stop and start new' : '▶ Start'}
        </button>
        <button
          type="button"
          data-testid="attach-stop"
          disabled={!connected || !running}
          onClick={() => void attachActions.stop()}
        >
          ■ Stop
        </button>
        <span className="spacer" />
        {profiles.length > 0 && (
          <select
            aria-label="Saved profiles"
            data-testid="load-profile"
            value=""
            disabled={!connected}
            title="Fill the form from a saved profile"
            onChange={(e) => attachActions.loadProfile(e.target.value)}
          >
            <option value="">Load profile…</option>
            {profiles.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}: {p.debugger} ↔ {p.target}
              </option>
            ))}
          </select>
        )}
        {!chosen && (
          <input
            aria-label="Profile name"
            data-testid="profile-name"
            placeholder="profile name"
            value={profileName}
            onChange={(e) => setProfileName(e.target.value)}
          />
        )}
        <button
          type="button"
          data-testid="save-profile"
          disabled={!connected}
          title="Saved in your config folder; chosen again with this VM, and by kdscope bridge --profile NAME"
          onClick={() => void attachActions.saveProfile(chosen ? undefined : profileName)}
        >
          ☆ Save profile{chosen ? ` for ${chosen.vm.name}` : ''}
        </button>
        {profile && (
          <button
            type="button"
            data-testid="delete-profile"
            disabled={!connected}
            onClick={() => void attachActions.deleteProfile(profile)}
          >
            Delete profile
          </button>
        )}
      </div>
      {startError && (
        <div className="attach-error" role="alert" data-testid="start-error">
          {startError}
        </div>
      )}
      {notice && (
        <div className="attach-notice" data-testid="attach-notice">
          {notice}
        </div>
      )}
    </section>
  );
}

/** The plan's command lines, best first, each with a copy button. */
function DebuggerCommands(): React.JSX.Element | null {
  const plan = useAttach((s) => s.plan);
  const [copied, setCopied] = useState<number | null>(null);
  if (!plan || plan.debuggerCommands.length === 0) return null;
  return (
    <div className="commands" aria-label="Debugger command lines">
      <div className="commands-title">
        Point the debugger at <code>{plan.debugger}</code>:
      </div>
      <ul>
        {plan.debuggerCommands.map((c, i) => (
          <li key={`${c.label}-${i}`} data-testid="debugger-command">
            <span className="command-label">{c.label}</span>
            <code className="command-line">{c.command}</code>
            <button
              type="button"
              data-testid="copy-command"
              onClick={() =>
                void copyText(c.command).then((ok) => {
                  setCopied(ok ? i : null);
                  if (ok) setTimeout(() => setCopied((v) => (v === i ? null : v)), 1500);
                })
              }
            >
              {copied === i ? '✓ Copied' : 'Copy'}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

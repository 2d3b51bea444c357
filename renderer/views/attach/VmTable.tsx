// The VMs the providers see, one row per KD-capable channel (like Wireshark's interface list):
// provider, name, state, channel, where it is reached. A click chooses it for the form.

import type { VmChannelView, VmView } from '../../../electron/api/contract';
import { attachActions, useAttach } from '../../store/attach';

const KIND: Record<VmChannelView['kind'], string> = {
  'com-pipe': 'COM pipe',
  unix: 'Unix socket',
  tcp: 'TCP',
  pty: 'pty',
  serial: 'serial',
  vmbus: 'VMBus',
  sim: 'in process',
};

export function VmTable(): React.JSX.Element {
  const vms = useAttach((s) => s.vms);
  const problems = useAttach((s) => s.problems);
  const choice = useAttach((s) => s.choice);
  const profiles = useAttach((s) => s.profiles);
  const loading = useAttach((s) => s.vmsLoading);
  const error = useAttach((s) => s.vmsError);
  const withProfile = new Set(profiles.map((p) => p.name));
  return (
    <section className="attach-card vm-card" aria-label="Virtual machines">
      <div className="attach-card-title">
        <span>Virtual machines</span>
        <span className="spacer" />
        {loading && <span className="dim">listing…</span>}
        <button
          type="button"
          data-testid="vms-refresh"
          title="List the VMs again (every 5 s while this page shows)"
          onClick={() => void attachActions.refreshVms()}
        >
          ⟳ Refresh
        </button>
      </div>
      <div className="vm-scroll">
        <table className="vm-table" data-testid="vm-table">
          <thead>
            <tr>
              <th>VM</th>
              <th>Provider</th>
              <th>State</th>
              <th>Channel</th>
              <th>Reached at</th>
            </tr>
          </thead>
          <tbody>
            {vms.map((vm) =>
              vm.channels.length === 0 ? (
                <tr key={`${vm.provider}/${vm.name}`} className="vm-row none">
                  <td>{vm.name}</td>
                  <td>{vm.provider}</td>
                  <td>
                    <VmState vm={vm} />
                  </td>
                  <td colSpan={2} className="dim">
                    no serial or VMBus channel for KD (add a COM port to the VM)
                  </td>
                </tr>
              ) : (
                vm.channels.map((channel) => {
                  const selected =
                    choice?.provider === vm.provider &&
                    choice.vm === vm.name &&
                    choice.port === channel.port;
                  return (
                    <tr
                      key={`${vm.provider}/${vm.name}/${channel.port}`}
                      className={`vm-row${selected ? ' selected' : ''}`}
                      data-testid="vm-row"
                      data-vm={vm.name}
                      data-port={channel.port}
                      aria-selected={selected}
                      tabIndex={0}
                      title={channel.note ?? channel.path}
                      onClick={() =>
                        attachActions.choose({
                          provider: vm.provider,
                          vm: vm.name,
                          port: channel.port,
                        })
                      }
                      onKeyDown={(e) => {
                        if (e.key === 'Enter' || e.key === ' ') {
                          e.preventDefault();
                          attachActions.choose({
                            provider: vm.provider,
                            vm: vm.name,
                            port: channel.port,
                          });
                        }
                      }}
                    >
                      <td>
                        <span className="vm-name">{vm.name}</span>
                        {withProfile.has(vm.name) && (
                          <span className="badge" title="A saved profile fills the form">
                            profile
                          </span>
                        )}
                      </td>
                      <td>{vm.provider}</td>
                      <td>
                        <VmState vm={vm} />
                      </td>
                      <td>
                        {channel.port} <span className="dim">· {KIND[channel.kind]}</span>
                      </td>
                      <td className="mono path-cell">{channel.endpoint ?? channel.path}</td>
                    </tr>
                  );
                })
              ),
            )}
          </tbody>
        </table>
        {vms.length === 0 && !loading && <div className="empty small">No VMs listed yet.</div>}
      </div>
      {error && <div className="attach-error">{error}</div>}
      {problems.length > 0 && (
        <details className="vm-problems">
          <summary>
            {problems.length} provider{problems.length === 1 ? '' : 's'} saw nothing
          </summary>
          <ul>
            {problems.map((p) => (
              <li key={p.provider}>
                <b>{p.provider}</b>: {p.problem}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function VmState(props: { vm: VmView }): React.JSX.Element {
  return <span className={`vm-state vm-${props.vm.state}`}>{props.vm.state}</span>;
}

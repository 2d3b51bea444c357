// `simulate target --listen EP`: one fresh simulated target per connection.

import { formatEndpoint, type Endpoint } from '../endpoint';
import { createAcceptor } from '../transports';
import { SimTarget, type SimTargetOptions } from './target';

export interface SimTargetServer {
  readonly description: string;
  /** The bound TCP port (for tcp:HOST:0); undefined for paths. */
  readonly port: number | undefined;
  /** Targets of the connections open now. */
  readonly targets: ReadonlySet<SimTarget>;
  /** Stops listening, closes every connection and its target. */
  close(): Promise<void>;
}

export async function serveSimTarget(
  endpoint: Endpoint,
  options: SimTargetOptions = {},
  onConnection?: (target: SimTarget) => void,
): Promise<SimTargetServer> {
  const acceptor = await createAcceptor(endpoint);
  const targets = new Set<SimTarget>();
  const stop = acceptor.onConnection((channel) => {
    const target = new SimTarget(options);
    targets.add(target);
    const detach = target.attach(channel);
    const gone = (): void => {
      detach();
      target.close();
      targets.delete(target);
    };
    channel.once('close', gone);
    onConnection?.(target);
  });
  const port = 'port' in acceptor ? (acceptor as { port?: number }).port : undefined;
  let closing: Promise<void> | undefined;
  return {
    description: formatEndpoint(endpoint),
    port,
    targets,
    close() {
      closing ??= (async () => {
        stop();
        for (const target of targets) target.close();
        targets.clear();
        await acceptor.close();
      })();
      return closing;
    },
  };
}

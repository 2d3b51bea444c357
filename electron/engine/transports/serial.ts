// Serial ports through the `serialport` package, loaded only when a serial endpoint is used
// (it is a native module; nothing else should pay for it or fail because of it).

import type { SerialPort as SerialPortClass } from 'serialport';
import type { Endpoint } from '../endpoint';
import { formatEndpoint } from '../endpoint';
import { describeTransportError } from './errors';
import { TransportError, type ByteChannel, type Dialer } from './types';

export type SerialEndpoint = Extract<Endpoint, { kind: 'serial' }>;

async function loadSerialPort(): Promise<typeof SerialPortClass> {
  try {
    return (await import('serialport')).SerialPort;
  } catch (error) {
    throw new TransportError(
      `serial ports need the 'serialport' package, which did not load: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}

export function serialDialer(ep: SerialEndpoint): Dialer {
  return {
    description: formatEndpoint(ep),
    async dial(signal?: AbortSignal): Promise<ByteChannel> {
      const SerialPort = await loadSerialPort();
      if (signal?.aborted) throw new TransportError(`${formatEndpoint(ep)}: cancelled`);
      const port = new SerialPort({ path: ep.device, baudRate: ep.baud, autoOpen: false });
      await new Promise<void>((resolve, reject) => {
        port.open((error) => {
          if (!error) resolve();
          else {
            // serialport says "No such file or directory, cannot open X" without a code.
            const coded = /no such file/i.test(error.message)
              ? Object.assign(error, { code: 'ENOENT' })
              : /permission denied/i.test(error.message)
                ? Object.assign(error, { code: 'EACCES' })
                : error;
            reject(describeTransportError(coded, ep, 'connect'));
          }
        });
      });
      return port;
    },
  };
}

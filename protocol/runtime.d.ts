// The few host APIs every runtime we target (Node, Electron renderer, workers, browsers) has.
// protocol/ is typechecked without Node or DOM libraries, so they are declared here.
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

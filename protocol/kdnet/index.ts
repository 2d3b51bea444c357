// KDNET: datagrams, keys, the decrypting decoder and an encoder. Crypto comes from the caller.
export * from './primitives';
export * from './datagram';
export * from './decoder';
export * from './encoder';
export * from './handshake';
export * from './ids';
export * from './key';
export * from './peer';
export * from './serial-framing';

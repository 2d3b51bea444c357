// The bundle's entry: bin/kdscope.mjs imports `main` from the built file.
export { main } from './main';

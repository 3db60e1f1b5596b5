// Entry of the bundle a plain `capped run` starts from (scripts/bundle.js): the run's own modules
// imported statically, so the bundler puts them in as few files as it can.
import '../config/load.js';
import './run.js';
export { main } from './main.js';

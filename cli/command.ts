// What a `fulgor` subcommand is: its name, a one-line summary, its flags (declared next to its code) and what it
// runs. cli/run.ts parses argv for it, cli/usage.ts prints its --help and README's flag tables from the same specs.
import type { Flags, FlagSpecs } from './flags.js';

export interface Command {
  /** The words after `fulgor`: `serve`, `ct serve`, `ca init`... */
  readonly name: string;
  /** One line for `fulgor --help`. */
  readonly summary: string;
  readonly flags: FlagSpecs;
  /** Lines printed after the flags in --help: rules between flags that the table cannot say. */
  readonly notes?: readonly string[];
  /**
   * Values below the command line and the environment and above the defaults (`serve --server-config FILE`).
   * `given` holds what the command line and the environment set.
   */
  readonly layer?: (given: Flags, env: NodeJS.ProcessEnv) => Flags | Promise<Flags>;
  readonly run: (flags: Flags) => Promise<void>;
}

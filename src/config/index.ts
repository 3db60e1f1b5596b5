/** capped's configuration: `.budgetrc`, user defaults, `CAPPED_*` variables, flags and presets. */
export { renderBudgetrc } from './budgetrc-template.js';
export { DEFAULT_VERIFY_PATTERNS, POLICY_DEFAULTS } from './defaults.js';
export { findPolicyFile, POLICY_FILE_NAME } from './discover.js';
export { envLayer, envWarnings, ENV_KEYS } from './env.js';
export { ConfigError } from './errors.js';
export { addPolicyOptions, flagLayer, POLICY_FLAGS, type PolicyFlag } from './flags.js';
export { loadPolicy, readUserConfig, type LoadedPolicy, type LoadOptions } from './load.js';
export { displayPath, parsePolicyText, readPolicyFile } from './policy-file.js';
export { PRESETS } from './presets.js';
export { resolvePolicy, verificationUsd, type PolicyLayers, type PolicySources, type ResolvedPolicy } from './resolve.js';
export { envName, flagName, PRESET_NAMES, SETTING_KEYS } from './schema.js';
export { formatPolicyTable, policyJson, policyRows } from './show.js';
export { describeSource } from './sources.js';
export type * from './types.js';
export { openUserConfig, type UserConfig } from './user-config.js';
export { watchPolicy, watchResolvedPolicy, type CloseWatch } from './watch.js';

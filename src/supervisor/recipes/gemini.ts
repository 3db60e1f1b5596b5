import path from 'node:path';
import { isObject, readSettings } from './settings-files.js';
import { SettingRefusal, type RecipeContext } from './types.js';

/** Gemini CLI sign-in methods that do not use GOOGLE_GEMINI_BASE_URL, so capped cannot see them. */
const GEMINI_DIRECT_AUTH: Record<string, string> = {
  'oauth-personal': 'Login with Google',
  'vertex-ai': 'Vertex AI',
  'cloud-shell': 'Cloud Shell',
  'compute-default-credentials': 'Google Cloud default credentials',
};

/** Refuses Gemini CLI sign-ins that bypass its base URL; returns a warning for a likely gateway refusal. */
export function checkGemini(ctx: RecipeContext): string | undefined {
  const { env } = ctx;
  const fix = 'Run it with a Gemini API key (GEMINI_API_KEY) to use it under capped.';
  if (env.GOOGLE_GENAI_USE_VERTEXAI === 'true')
    throw new SettingRefusal(`Gemini CLI with GOOGLE_GENAI_USE_VERTEXAI=true talks to Vertex AI directly, so capped could not meter or cap it. ${fix}`);
  if (env.GOOGLE_GENAI_USE_GCA === 'true')
    throw new SettingRefusal(
      `Gemini CLI with GOOGLE_GENAI_USE_GCA=true (Login with Google) talks to Google directly, so capped could not meter or cap it. ${fix}`,
    );
  const file = path.join(env.GEMINI_CLI_HOME ?? ctx.home, '.gemini', 'settings.json');
  // Parsed like every agent's settings (comments, trailing commas); an unreadable file refuses.
  const security = readSettings(ctx, file)?.security;
  const auth = isObject(security) ? security.auth : undefined;
  const selected = isObject(auth) ? auth.selectedType : undefined;
  if (typeof selected === 'string' && selected in GEMINI_DIRECT_AUTH) {
    throw new SettingRefusal(
      `Gemini CLI is set to sign in with ${GEMINI_DIRECT_AUTH[selected]} (security.auth.selectedType in ` +
        `${file}); that traffic goes to Google directly, so capped could not meter or cap it. ${fix}`,
    );
  }
  if (selected === undefined && env.GEMINI_API_KEY) {
    return (
      `Gemini CLI treats a custom base URL as "gateway" sign-in and refuses it in non-interactive mode (-p) unless ${file} ` +
      `has "security": {"auth": {"selectedType": "gemini-api-key"}} (what its sign-in dialog writes when you choose an API key).`
    );
  }
  return undefined;
}

import { readFileSync } from 'node:fs';
import { type Config, ConfigError } from '../config.js';
import { type ApiKeySpec, Keyring, parseApiKeyLines, sha256Hex } from './api-keys.js';

/**
 * The service's keyring from its configuration: the key file, the digest lines from the
 * environment, and legacy plain-text STEMDEX_API_KEYS (each an `admin` key on every catalog, as
 * every key was before keys had roles). Problems are configuration errors, reported at start-up.
 */
export function keyringFromConfig(
  config: Pick<Config, 'apiKeys' | 'apiKeyDigests' | 'apiKeysFile' | 'requireKeyForReads'>,
): Keyring {
  const specs: ApiKeySpec[] = [...config.apiKeyDigests];
  if (config.apiKeysFile !== null) specs.push(...readKeyFile(config.apiKeysFile));
  for (const [index, key] of config.apiKeys.entries()) {
    specs.push({ name: `legacy-${index + 1}`, role: 'admin', catalogs: null, sha256: sha256Hex(key) });
  }
  let keyring: Keyring;
  try {
    keyring = new Keyring(specs);
  } catch (error) {
    throw new ConfigError([
      { env: 'STEMDEX_API_KEY_DIGESTS', value: undefined, message: (error as Error).message },
    ]);
  }
  if (config.requireKeyForReads && keyring.size === 0) {
    throw new ConfigError([
      {
        env: 'STEMDEX_REQUIRE_KEY_FOR_READS',
        value: 'true',
        message:
          'reads need a key, but no key is configured (STEMDEX_API_KEYS_FILE or STEMDEX_API_KEY_DIGESTS)',
      },
    ]);
  }
  return keyring;
}

function readKeyFile(path: string): ApiKeySpec[] {
  try {
    return parseApiKeyLines(readFileSync(path, 'utf8'), path);
  } catch (error) {
    throw new ConfigError([{ env: 'STEMDEX_API_KEYS_FILE', value: path, message: (error as Error).message }]);
  }
}

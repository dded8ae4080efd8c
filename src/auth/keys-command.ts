import { Command, InvalidArgumentError, Option } from 'commander';
import { API_KEY_ROLES, type ApiKeyRole, createApiKey } from './api-keys.js';

/**
 * `stemdex keys create | digest`: make the configuration line of a scoped API key. The service
 * keeps only the line (a sha256 digest); the key itself is printed once, for the client.
 */

interface KeyOptions {
  name: string;
  role: ApiKeyRole;
  catalogs?: string[];
  json?: boolean;
}

function catalogList(value: string): string[] {
  const catalogs = value
    .split(',')
    .map((catalog) => catalog.trim())
    .filter((catalog) => catalog.length > 0);
  if (catalogs.length === 0) throw new InvalidArgumentError('expected comma-separated catalog names');
  return catalogs;
}

function keyOptions(command: Command): Command {
  return command
    .requiredOption('--name <name>', 'who the key is for (shown in logs and errors; unique)')
    .addOption(new Option('--role <role>', 'what the key may do').choices(API_KEY_ROLES).default('read'))
    .option('--catalogs <list>', 'comma-separated catalogs the key may touch (default: all)', catalogList);
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.trim();
}

export function keysCommand(): Command {
  const keys = new Command('keys').description('scoped API keys: create one, or digest an existing one');
  keyOptions(keys.command('create'))
    .description('create a random API key and print it with its configuration line')
    .option('--json', 'print {"key", "line"} as JSON')
    .action((options: KeyOptions) => {
      const { key, line } = createApiKey({
        name: options.name,
        role: options.role,
        catalogs: options.catalogs ?? null,
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ key, line })}\n`);
        return;
      }
      process.stdout.write(
        `# API key for ${options.name}: give it to the client; the service keeps only the line below.\n${key}\n` +
          `# Add this line to STEMDEX_API_KEYS_FILE (or STEMDEX_API_KEY_DIGESTS):\n${line}\n`,
      );
    });
  keyOptions(keys.command('digest'))
    .description(
      'print the configuration line of an existing key read from stdin (to migrate STEMDEX_API_KEYS)',
    )
    .action(async (options: KeyOptions) => {
      const existing = await readStdin();
      const { line } = createApiKey(
        { name: options.name, role: options.role, catalogs: options.catalogs ?? null },
        existing,
      );
      process.stdout.write(`${line}\n`);
    });
  return keys;
}

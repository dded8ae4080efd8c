// Prints a POSIX shell script that replays one Dockerfile stage's COPY (from the build context),
// ENV/ARG and RUN instructions, in order, in the current folder. docker/verify-install.sh runs it
// so that what is checked without Docker is the Dockerfile's own commands, not a copy of them.
//
//   node docker/build-stage-steps.mjs [stage=build] > steps.sh && REPO=/path/to/repo sh -e steps.sh
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileParser } from 'dockerfile-ast';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const stageName = process.argv[2] ?? 'build';
const dockerfile = DockerfileParser.parse(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
const quote = (text) => `'${text.replaceAll("'", "'\\''")}'`;

const lines = ['set -e'];
let inStage = false;
for (const instruction of dockerfile.getInstructions()) {
  const keyword = instruction.getKeyword();
  if (keyword === 'FROM') {
    if (inStage) break;
    inStage = instruction.getBuildStage() === stageName;
    continue;
  }
  if (!inStage) continue;
  const args = instruction.getArguments().map((argument) => argument.getValue());
  if (keyword === 'COPY') {
    if (instruction.getFlags().some((flag) => flag.getName() === 'from')) {
      throw new Error(`stage ${stageName}: COPY --from cannot be replayed`);
    }
    const destination = args.at(-1);
    lines.push(`mkdir -p ${quote(destination.endsWith('/') ? destination : '.')}`);
    for (const source of args.slice(0, -1)) {
      // A directory's contents go into the destination, as COPY does.
      lines.push(
        source.endsWith('/')
          ? `cp -R "$REPO"/${quote(source)}. ${quote(destination)}`
          : `cp "$REPO"/${quote(source)} ${quote(destination)}`,
      );
    }
  } else if (keyword === 'RUN') {
    // Its own shell, like Docker's `/bin/sh -c`: the step fails when the whole line does.
    const command = instruction.getArgumentsContent();
    lines.push(`echo ${quote(`RUN ${command}`)}`, `/bin/sh -c ${quote(command)} || exit 1`);
  } else if (keyword === 'ENV' || keyword === 'ARG') {
    for (const property of instruction.getProperties?.() ?? [instruction.getProperty()]) {
      if (property?.getValue() != null) lines.push(`export ${property.getName()}=${quote(property.getUnescapedValue())}`);
    }
  } else if (keyword !== 'WORKDIR') {
    throw new Error(`stage ${stageName}: cannot replay ${keyword}`);
  }
}
if (!inStage && lines.length === 1) throw new Error(`no stage ${stageName} in the Dockerfile`);
process.stdout.write(`${lines.join('\n')}\n`);

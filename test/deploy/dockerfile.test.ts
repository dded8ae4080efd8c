import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { instructionsOf, readDockerfile, type Stage, stageEnv, substitute } from './dockerfile-model.js';
import { REPO_ROOT } from './serve-process.js';

/**
 * No Docker engine runs here, so the Dockerfile is checked as data: its stages, what each copies
 * from where, and that what the images promise (non-root, health check, port, config) holds.
 */

const model = readDockerfile();
const stage = (name: string): Stage => {
  const found = model.stages.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const RUNTIME_STAGES = ['cpu', 'cuda'];
const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  bin: Record<string, string>;
};

/** The build context as `.dockerignore` lets it through (an allow-list: `*` then `!path`). */
const dockerignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line.length > 0 && !line.startsWith('#'));
const allowed = dockerignore.filter((line) => line.startsWith('!')).map((line) => line.slice(1));
const inContext = (path: string) =>
  allowed.some((entry) => path === entry || path.startsWith(entry.endsWith('/') ? entry : `${entry}/`));
const clean = (path: string) => path.replace(/^\.\//, '');

describe('Dockerfile', () => {
  it('builds the CPU image by default and a CUDA image as a named target', () => {
    expect(model.stages.map((s) => s.name)).toEqual(['build', 'build-cuda', 'node-base', 'cuda', 'cpu']);
    expect(model.stages.at(-1)?.name).toBe('cpu');
    expect(stage('cuda').base).toMatch(/^nvidia\/cuda:12\.[\d.]+-cudnn-runtime-/);
  });

  it('builds and runs on the same Node release, one the package supports', () => {
    const version = model.globalArgs.NODE_VERSION ?? '';
    expect(stage('build').base).toBe(`node:${version}-bookworm`);
    expect(stage('node-base').base).toBe(`node:${version}-bookworm-slim`);
    expect(stage('cpu').base).toBe('node-base');
    const [major, minor] = version.split('.').map(Number);
    const [minMajor, minMinor] = /(\d+)\.(\d+)/.exec(packageJson.engines.node)?.slice(1).map(Number) ?? [];
    expect(major).toBe(minMajor);
    expect(minor).toBeGreaterThanOrEqual(minMinor);
    // The CUDA image takes its Node binary from that same image.
    const copyNode = instructionsOf(stage('cuda'), 'COPY')[0];
    expect(copyNode.flags.from).toBe('node-base');
    expect(copyNode.args).toEqual(['/usr/local/bin/node', '/usr/local/bin/node']);
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    for (const current of model.stages) {
      const stageArgs = Object.assign(
        {},
        ...instructionsOf(current, 'ARG').map((instruction) => instruction.properties),
      ) as Record<string, string | null>;
      for (const copy of instructionsOf(current, 'COPY')) {
        if (copy.flags.from !== undefined) continue;
        for (const source of copy.args.slice(0, -1).map((arg) => clean(substitute(arg, stageArgs)))) {
          expect(inContext(source), `${source} excluded by .dockerignore`).toBe(true);
          // The model is exported by training into models/, absent until then; the build refuses to
          // go on without it (checked below).
          if (source === 'models/') continue;
          expect(existsSync(join(REPO_ROOT, source)), `${source} missing`).toBe(true);
        }
      }
    }
  });

  it('copies from earlier stages only, and only the runtime pieces into the images', () => {
    for (const [position, current] of model.stages.entries()) {
      const earlier = model.stages.slice(0, position).map((s) => s.name);
      for (const copy of instructionsOf(current, 'COPY')) {
        if (copy.flags.from !== undefined) expect(earlier).toContain(copy.flags.from);
      }
    }
    for (const name of RUNTIME_STAGES) {
      const fromBuild = instructionsOf(stage(name), 'COPY')
        .filter((copy) => copy.flags.from?.startsWith('build'))
        .map((copy) => copy.args[0]);
      expect(fromBuild.sort()).toEqual(['/app/dist/', '/app/node_modules/', '/app/package.json']);
    }
    const build = stage('build').instructions.map((i) => i.args.join(' '));
    expect(build).toContain('npm ci --no-audit --no-fund');
    expect(build.some((line) => /npm run build && npm prune --omit=dev/.test(line))).toBe(true);
  });

  it('runs the compiled CLI the package publishes, as a non-root user', () => {
    for (const name of RUNTIME_STAGES) {
      const current = stage(name);
      const [cmd] = instructionsOf(current, 'CMD');
      expect(cmd.args).toEqual(['node', packageJson.bin.stemdex, 'serve']);
      expect(packageJson.bin.stemdex).toBe('dist/src/cli.js');
      expect(existsSync(join(REPO_ROOT, 'src', 'cli.ts'))).toBe(true);
      const user = instructionsOf(current, 'USER').at(-1)?.args[0] ?? 'root';
      const [uid] = user.split(':');
      expect(uid).toMatch(/^\d+$/); // numeric, so Kubernetes' runAsNonRoot can verify it
      expect(Number(uid)).toBeGreaterThan(0);
      // The last USER comes after every RUN, so nothing runs as root after the image is built.
      const lastRun = current.instructions.findLastIndex((i) => i.keyword === 'RUN');
      const lastUser = current.instructions.findLastIndex((i) => i.keyword === 'USER');
      expect(lastUser).toBeGreaterThan(lastRun);
    }
  });

  it('exposes the configured port, keeps data on a volume, and checks health with plain Node', () => {
    for (const name of RUNTIME_STAGES) {
      const current = stage(name);
      const env = stageEnv(model, current);
      expect(instructionsOf(current, 'EXPOSE')[0].args).toEqual([env.STEMDEX_PORT]);
      expect(instructionsOf(current, 'VOLUME')[0].args).toEqual([env.STEMDEX_DATA_DIR]);
      const [healthcheck] = instructionsOf(current, 'HEALTHCHECK');
      expect(healthcheck.args[0]).toBe('CMD');
      const command = JSON.parse(healthcheck.args.slice(1).join(' ')) as string[];
      expect(command[0]).toBe('node');
      expect(existsSync(join(REPO_ROOT, command[1]))).toBe(true);
      // The script must be in the image: copied to the same relative path under WORKDIR.
      expect(instructionsOf(current, 'COPY').some((copy) => copy.args[0] === command[1])).toBe(true);
    }
  });

  it('configures each image with valid STEMDEX_ variables only', () => {
    for (const name of RUNTIME_STAGES) {
      const env = stageEnv(model, stage(name));
      const stemdexEnv = Object.fromEntries(
        Object.entries(env).filter(([key]) => key.startsWith('STEMDEX_')),
      ) as Record<string, string>;
      const config = loadConfig(stemdexEnv);
      expect(config.port).toBe(8080);
      expect(config.dataDir).toBe('/var/lib/stemdex');
      expect(config.modelDir).toBe('/app/models');
      expect(config.executionProviders).toEqual(name === 'cuda' ? ['cuda', 'cpu'] : ['cpu']);
    }
  });

  it("skips onnxruntime's installer in the build, and installs its CUDA provider in the CUDA build", () => {
    expect(stageEnv(model, stage('build')).ONNXRUNTIME_NODE_INSTALL).toBe('skip');
    const [rebuild] = instructionsOf(stage('build-cuda'), 'RUN');
    const flag = /ONNXRUNTIME_NODE_INSTALL=(\S+)/.exec(rebuild.args.join(' '))?.[1];
    expect(rebuild.args.join(' ')).toContain('npm rebuild onnxruntime-node');
    // The flag names an installation the package knows for linux/x64 …
    const require = createRequire(import.meta.url);
    const metadata = require('onnxruntime-node/script/install-metadata.js') as {
      requirements: Record<string, string[]>;
    };
    expect(metadata.requirements['linux/x64']).toContain(flag);
    // … and, checked with the installer's own parser: the stage's `skip` skips it, the command's
    // flag (which replaces the stage's value for that command) runs it. (1.30 reads a named
    // installation as "the platform default", which on linux/x64 is that same cuda12 set; the
    // Dockerfile checks the provider library landed.)
    const { parseInstallFlag } = require('onnxruntime-node/script/install-utils.js') as {
      parseInstallFlag: () => unknown;
    };
    const saved = { ...process.env };
    try {
      delete process.env.npm_config_onnxruntime_node_install;
      process.env.ONNXRUNTIME_NODE_INSTALL = 'skip';
      expect(parseInstallFlag()).toBe(false);
      process.env.ONNXRUNTIME_NODE_INSTALL = flag;
      expect(parseInstallFlag()).not.toBe(false);
    } finally {
      process.env = saved;
    }
  });

  it('refuses to build an image without an exported model', () => {
    for (const name of RUNTIME_STAGES) {
      const run = instructionsOf(stage(name), 'RUN')
        .map((i) => i.args.join(' '))
        .join('\n');
      for (const file of ['manifest.json', 'encoder.onnx', 'predictor.onnx']) {
        expect(run).toContain(`-f models/${file}`);
      }
      expect(run).toMatch(/exit 1/);
    }
  });
});

describe('docker/build-stage-steps.mjs (what verify-install.sh replays)', () => {
  it("emits the build stage's own COPY and RUN lines, each RUN failing as a whole", async () => {
    const { execFileSync } = await import('node:child_process');
    const script = execFileSync(process.execPath, ['docker/build-stage-steps.mjs', 'build'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    const build = stage('build');
    for (const run of instructionsOf(build, 'RUN')) {
      expect(script).toContain(`/bin/sh -c '${run.args.join(' ').split(' ')[0]}`);
    }
    for (const copy of instructionsOf(build, 'COPY')) {
      for (const source of copy.args.slice(0, -1)) expect(script).toContain(`"$REPO"/'${source}'`);
    }
    expect(script.indexOf("'package.json'")).toBeLessThan(script.indexOf('npm ci'));
    expect(script.indexOf('npm ci')).toBeLessThan(script.indexOf("'src/'"));
  });
});

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseApiKeyLines } from '../../src/auth/api-keys.js';
import { keyringFromConfig } from '../../src/auth/keyring-config.js';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { readDockerfile } from './dockerfile-model.js';
import { buildKustomization, type KubeObject, k8sDir, readKustomization } from './manifests.js';
import { REPO_ROOT } from './serve-process.js';

/**
 * The Kubernetes manifests, validated against the Kubernetes OpenAPI schemas that ship inside the
 * `kubernetes-models` package (nothing is downloaded), then checked for what the service needs.
 */

const VARIANTS = ['base', 'gpu'] as const;
const built = Object.fromEntries(VARIANTS.map((v) => [v, buildKustomization(k8sDir(REPO_ROOT, v))]));
/** Schema-carrying models of the kinds the manifests use, by `apiVersion/kind`. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};
const KNOWN_VARIABLES = new Set(CONFIG_VARIABLES.map((spec) => spec.env));

function find(objects: KubeObject[], kind: string): KubeObject {
  const found = objects.filter((object) => object.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
}

function named(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.filter((object) => object.kind === kind && object.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0];
}

/** The container's environment as the pod sees it: its envFrom ConfigMap, then Secret. */
function podEnv(objects: KubeObject[]): Record<string, string> {
  const sources = container(objects).envFrom as Array<{
    configMapRef?: { name: string };
    secretRef?: { name: string };
  }>;
  const env: Record<string, string> = {};
  for (const source of sources) {
    if (source.configMapRef) Object.assign(env, named(objects, 'ConfigMap', source.configMapRef.name).data);
    if (source.secretRef) Object.assign(env, named(objects, 'Secret', source.secretRef.name).stringData);
  }
  return env;
}

const container = (objects: KubeObject[]) => find(objects, 'Deployment').spec.template.spec.containers[0];

describe('Kubernetes manifests', () => {
  it('list every manifest file of the base in its kustomization', () => {
    const files = readdirSync(k8sDir(REPO_ROOT, 'base')).filter(
      (file) => file.endsWith('.yaml') && file !== 'kustomization.yaml',
    );
    expect([...(readKustomization(k8sDir(REPO_ROOT, 'base')).resources ?? [])].sort()).toEqual(files.sort());
    for (const patch of readKustomization(k8sDir(REPO_ROOT, 'gpu')).patches ?? []) {
      expect(existsSync(join(k8sDir(REPO_ROOT, 'gpu'), patch.path))).toBe(true);
    }
  });

  it.each(VARIANTS)('%s: every object is valid against its Kubernetes schema', (variant) => {
    for (const object of built[variant]) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model, `no schema for ${object.apiVersion}/${object.kind}`).toBeDefined();
      expect(
        () => new Model(object as never).validate(),
        `${object.kind}/${object.metadata.name}`,
      ).not.toThrow();
    }
  });

  it('the schema check does catch a broken manifest', () => {
    const broken = structuredClone(find(built.base, 'Deployment'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort/);
  });

  it.each(VARIANTS)('%s: configures the pod with valid STEMDEX_ variables only', (variant) => {
    const env = podEnv(built[variant]);
    for (const name of Object.keys(env)) expect(KNOWN_VARIABLES.has(name), name).toBe(true);
    const config = loadConfig(env);
    expect(config.dataDir).toBe(container(built[variant]).volumeMounts[0].mountPath);
    expect(config.port).toBe(container(built[variant]).ports[0].containerPort);
    expect(config.executionProviders[0]).toBe(variant === 'gpu' ? 'cuda' : 'cpu');
  });

  it('ships the Secrets with placeholders only, and a shared store for several replicas', () => {
    const secrets = built.base.filter((object) => object.kind === 'Secret');
    expect(secrets.length).toBeGreaterThan(0);
    for (const each of secrets) {
      for (const value of Object.values(each.stringData)) expect(value).toContain('REPLACE_ME');
    }
    const secret = named(built.base, 'Secret', 'stemdex-secrets');
    // The local store is per replica: several replicas need a shared catalog.
    expect(find(built.base, 'HorizontalPodAutoscaler').spec.minReplicas).toBeGreaterThan(1);
    expect(secret.stringData.STEMDEX_STORE).toMatch(/^postgres:\/\//);
  });

  it.each(VARIANTS)(
    '%s: carries the load-balancer settings: proxy trust, shared rate limit, scoped keys',
    (variant) => {
      const objects = built[variant];
      const config = loadConfig(podEnv(objects));
      expect(config.trustProxy).not.toBe(false);
      expect(config.rateLimitRedisUrl).toMatch(/^redis:\/\//);
      expect(typeof config.requireKeyForReads).toBe('boolean');
      // The key file is a mounted Secret, at the path the configuration names, and it parses.
      const keyFile = config.apiKeysFile as string;
      const mount = (
        container(objects).volumeMounts as Array<{ name: string; mountPath: string; readOnly?: boolean }>
      ).find((each) => keyFile.startsWith(`${each.mountPath}/`));
      expect(mount?.readOnly).toBe(true);
      const volume = find(objects, 'Deployment').spec.template.spec.volumes.find(
        (each: { name: string }) => each.name === mount?.name,
      );
      const item = volume.secret.items.find(
        (each: { path: string }) => `${mount?.mountPath}/${each.path}` === keyFile,
      );
      const lines = named(objects, 'Secret', volume.secret.secretName).stringData[item.key] as string;
      const specs = parseApiKeyLines(lines, 'api-keys');
      expect(specs.length).toBeGreaterThan(0);
      // The placeholder matches no key a client could hold, so an unedited deployment stays closed.
      expect(
        keyringFromConfig({ ...config, apiKeyDigests: specs, apiKeysFile: null }).match('REPLACE_ME'),
      ).toBeNull();
    },
  );

  it.each(VARIANTS)('%s: probes readiness and startup on /readyz, liveness on /healthz', (variant) => {
    const app = container(built[variant]);
    const portName = app.ports[0].name;
    expect(app.startupProbe.httpGet).toEqual({ path: '/readyz', port: portName });
    expect(app.readinessProbe.httpGet).toEqual({ path: '/readyz', port: portName });
    expect(app.livenessProbe.httpGet).toEqual({ path: '/healthz', port: portName });
    // Model load and index rebuild may take minutes: the startup probe must allow for it.
    expect(app.startupProbe.periodSeconds * app.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
  });

  it.each(VARIANTS)('%s: lets SIGTERM drain within the termination grace period', (variant) => {
    const deployment = find(built[variant], 'Deployment');
    const { shutdownGraceMs } = loadConfig(podEnv(built[variant]));
    const preStop = container(built[variant]).lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('sleep');
    const pauseMs = Number(preStop[1]) * 1000;
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      pauseMs + shutdownGraceMs,
    );
  });

  it.each(VARIANTS)('%s: runs as the image user, non-root, on a read-only root file system', (variant) => {
    const pod = find(built[variant], 'Deployment').spec.template.spec;
    const app = container(built[variant]);
    const imageUser = readDockerfile()
      .stages.find((stage) => stage.name === (variant === 'gpu' ? 'cuda' : 'cpu'))
      ?.instructions.findLast((instruction) => instruction.keyword === 'USER')?.args[0];
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`).toBe(imageUser);
    expect(app.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    // Every writable path is a volume.
    const mounted = app.volumeMounts.map((mount: { mountPath: string }) => mount.mountPath);
    expect(mounted).toEqual(expect.arrayContaining([loadConfig(podEnv(built[variant])).dataDir, '/tmp']));
    expect(app.resources.requests.cpu).toBeDefined();
    expect(app.resources.limits.memory).toBeDefined();
  });

  it.each(VARIANTS)('%s: wires Service, autoscaler and disruption budget to the Deployment', (variant) => {
    const objects = built[variant];
    const deployment = find(objects, 'Deployment');
    const podLabels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(podLabels);
    const service = find(objects, 'Service');
    for (const [key, value] of Object.entries(service.spec.selector)) expect(podLabels[key]).toBe(value);
    expect(service.spec.ports[0].targetPort).toBe(container(objects).ports[0].name);
    expect(find(objects, 'HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual({
      apiVersion: deployment.apiVersion,
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(find(objects, 'PodDisruptionBudget').spec.selector.matchLabels).toEqual(podLabels);
    const { images } = readKustomization(k8sDir(REPO_ROOT, variant));
    expect(images?.map((image) => image.name)).toEqual([container(objects).image]);
  });

  it('gpu: asks for one NVIDIA GPU, tolerates GPU nodes and uses the CUDA image tag', () => {
    const pod = find(built.gpu, 'Deployment').spec.template.spec;
    expect(container(built.gpu).resources.limits['nvidia.com/gpu']).toBe('1');
    expect(pod.tolerations).toContainEqual(expect.objectContaining({ key: 'nvidia.com/gpu' }));
    expect(readKustomization(k8sDir(REPO_ROOT, 'gpu')).images?.[0].newTag).toMatch(/cuda/);
    expect(container(built.base).resources.limits['nvidia.com/gpu']).toBeUndefined();
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Kubernetes manifests of docker/k8s as plain objects, and the kustomize bits the tests need. */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form until validated
  [field: string]: any;
}

export interface Kustomization {
  resources?: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ path: string; target: { kind: string; name: string } }>;
  labels?: Array<{ pairs: Record<string, string> }>;
}

export function readYamlDocuments(path: string): unknown[] {
  // `merge`: Compose files use YAML merge keys (`<<: *anchor`), as Compose itself resolves them.
  return parseAllDocuments(readFileSync(path, 'utf8'), { merge: true }).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0].message}`);
    return document.toJS({ maxAliasCount: 100 });
  });
}

export function readKustomization(dir: string): Kustomization {
  return readYamlDocuments(join(dir, 'kustomization.yaml'))[0] as Kustomization;
}

interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** RFC 6902 add / replace / remove, the operations the overlays use; returns a patched copy. */
export function applyJsonPatch<T>(target: T, operations: PatchOperation[]): T {
  const result = structuredClone(target) as Record<string, unknown>;
  for (const { op, path, value } of operations) {
    const keys = path
      .split('/')
      .slice(1)
      .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop();
    if (last === undefined) throw new Error(`bad patch path ${path}`);
    let parent: Record<string, unknown> = result;
    for (const key of keys) {
      if (typeof parent[key] !== 'object' || parent[key] === null) throw new Error(`no ${path} to patch`);
      parent = parent[key] as Record<string, unknown>;
    }
    const exists = Object.hasOwn(parent, last);
    if ((op === 'replace' || op === 'remove') && !exists) throw new Error(`${op}: ${path} does not exist`);
    if (op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (Array.isArray(parent) && op === 'add') {
      parent.splice(last === '-' ? parent.length : Number(last), 0, value);
    } else {
      parent[last] = structuredClone(value);
    }
  }
  return result as T;
}

/** What `kustomize build <dir>` yields for the parts used here: resources, overlays' JSON patches. */
export function buildKustomization(dir: string): KubeObject[] {
  const kustomization = readKustomization(dir);
  let objects: KubeObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = join(dir, resource);
    objects.push(
      ...(resource.endsWith('.yaml') ? (readYamlDocuments(path) as KubeObject[]) : buildKustomization(path)),
    );
  }
  for (const patch of kustomization.patches ?? []) {
    const operations = readYamlDocuments(join(dir, patch.path))[0] as PatchOperation[];
    const matches = objects.filter(
      (object) => object.kind === patch.target.kind && object.metadata.name === patch.target.name,
    );
    if (matches.length !== 1) throw new Error(`patch ${patch.path} matches ${matches.length} objects`);
    objects = objects.map((object) => (object === matches[0] ? applyJsonPatch(object, operations) : object));
  }
  return objects;
}

export const k8sDir = (repoRoot: string, variant: string) => join(repoRoot, 'docker', 'k8s', variant);

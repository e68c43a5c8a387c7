// Runs aurea-k8s-check (k8s/admission-check, built into the cache by
// scripts/stack/install-k8s-check.sh) on rendered manifests: schema validation against the
// official Kubernetes and operator schemas of the releases pinned in k8s/versions.yaml, with
// unknown fields as errors, and Pod Security admission at each namespace's enforced level.
// Schemas published on a registry are installed at test time through the Go module proxy
// (`go mod download`, cached by Go per version); the others are the fixtures in k8s/schemas/.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './generate.js';
import { installedTool } from './render.js';

export interface SchemaSource {
  module?: string;
  fixture?: string;
  dir?: string;
  /** File names (module) or file name → SHA-256 (fixture). */
  files: string[] | Record<string, string>;
}

export interface Pins {
  kubernetes: { version: string; module: string; dir: string }[];
  operators: { name: string; version: string; install: string; crds: SchemaSource }[];
}

export const VERSIONS_FILE = join(REPO_ROOT, 'k8s', 'versions.yaml');

export function pins(): Pins {
  return parse(readFileSync(VERSIONS_FILE, 'utf8')) as Pins;
}

/** The source label an object checked against a pinned release reports (`<name> <version>`). */
export const label = (name: string, version: string): string => `${name} ${version}`;

const moduleDirs = new Map<string, string>();

/** Local directory of a Go module version, downloaded through the module proxy if needed. */
export function moduleDir(module: string, version: string): string {
  const key = `${module}@${version}`;
  let dir = moduleDirs.get(key);
  if (dir === undefined) {
    const out = execFileSync('go', ['mod', 'download', '-json', key], {
      cwd: tmpdir(), // outside any module: the download needs no go.mod
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const info = JSON.parse(out) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download ${key}: ${info.Error ?? 'no directory'}`);
    dir = info.Dir;
    moduleDirs.set(key, dir);
  }
  return dir;
}

/** Absolute paths of an operator's CRD files; fixture files are checked against their SHA-256. */
export function crdFiles(src: SchemaSource, version: string): string[] {
  if (src.fixture !== undefined) {
    return Object.entries(src.files).map(([file, sha]) => {
      const path = join(REPO_ROOT, src.fixture ?? '', file);
      const actual = createHash('sha256').update(readFileSync(path)).digest('hex');
      if (actual !== sha) throw new Error(`${path}: SHA-256 ${actual}, k8s/versions.yaml records ${String(sha)}`);
      return path;
    });
  }
  if (src.module === undefined || !Array.isArray(src.files)) throw new Error('CRD source needs module and files');
  const dir = join(moduleDir(src.module, version), src.dir ?? '');
  return src.files.map((f) => join(dir, f));
}

/** Path of aurea-k8s-check, built into the cache by scripts/stack/install-k8s-check.sh if needed. */
export const checker = (): string => installedTool('install-k8s-check.sh');

let argsCache: string[] | undefined;

/** The checker's --kubernetes/--crds arguments for the pinned releases. */
export function schemaArgs(): string[] {
  if (argsCache) return argsCache;
  const p = pins();
  const args: string[] = [];
  for (const k of p.kubernetes)
    args.push('--kubernetes', `${label('kubernetes', k.version)}=${join(moduleDir(k.module, k.version), k.dir)}`);
  for (const o of p.operators)
    args.push('--crds', `${label(o.name, o.version)}=${crdFiles(o.crds, o.version).join(',')}`);
  argsCache = args;
  return args;
}

export interface PodResult {
  pod: string;
  namespace: string;
  enforce: string;
  forbidden: string[];
  warnings: string[];
}

export interface AdmissionReport {
  objects: { object: string; schemas: string[] }[];
  pods: PodResult[];
  problems: string[];
}

/** Checks a multi-document YAML stream (a rendered overlay) and returns the checker's report. */
export function admissionCheck(yamlText: string): AdmissionReport {
  const r = spawnSync(checker(), schemaArgs(), { input: yamlText, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1) throw new Error(`aurea-k8s-check exited ${String(r.status)}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as AdmissionReport;
  if ((r.status === 0) !== (report.problems.length === 0))
    throw new Error(`aurea-k8s-check exit status ${String(r.status)} disagrees with its report`);
  return report;
}

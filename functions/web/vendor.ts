// Third-party files the page loads from /vendor/, taken from node_modules: no copy in the
// repository to keep in step with package-lock.json. From the sources they are read in
// node_modules; build/bundle.ts copies them into vendor/ beside the bundle (with the package's
// licence), which is where the image's web function finds them.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface VendorFile {
  /** The npm package, resolved from node_modules. */
  pkg: string;
  /** The file inside the package. */
  file: string;
}

/** Served as /vendor/<name>. */
export const VENDOR_FILES: Record<string, VendorFile> = {
  // The self-contained browser build (an IIFE defining the global `oidc`): the ES module build
  // imports jwt-decode by a bare name, which would need an import map, an inline script the CSP
  // refuses.
  "oidc-client-ts.min.js": { pkg: "oidc-client-ts", file: "dist/browser/oidc-client-ts.min.js" },
};

/** The folder of a package in node_modules (its exports may hide its files from require.resolve). */
export function packageDir(pkg: string, from = import.meta.url): string {
  return dirname(createRequire(from).resolve(`${pkg}/package.json`));
}

/** Each vendor file's path on disk: in `bundled` (beside a bundle) if there, else in node_modules. */
export function findVendorFiles(bundled: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, { pkg, file }] of Object.entries(VENDOR_FILES)) {
    const beside = join(bundled, name);
    found[name] = existsSync(beside) ? beside : join(packageDir(pkg), file);
    if (!existsSync(found[name])) throw new Error(`vendor file ${name} not found (npm ci installs ${pkg})`);
  }
  return found;
}

// Copies the vendored libraries from node_modules into static/vendor. Run: npm ci && npm run build
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";

const out = "static/vendor";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const files = [
  ["node_modules/bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"],
  ["node_modules/bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"],
  ["node_modules/bootstrap-icons/font/bootstrap-icons.min.css", "bootstrap-icons/bootstrap-icons.min.css"],
  ["node_modules/bootstrap-icons/font/fonts", "bootstrap-icons/fonts"],
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["node_modules/echarts/dist/echarts.min.js", "echarts/echarts.min.js"],
  // The stocktake's in-page scanner: the BarcodeDetector ponyfill (used only where the browser has no
  // BarcodeDetector that reads QR codes) and the ZXing reader it runs, served from here, not from its CDN.
  ["node_modules/barcode-detector/dist/iife/ponyfill.js", "barcode-detector/ponyfill.min.js"],
  ["node_modules/barcode-detector/LICENSE", "barcode-detector/LICENSE"],
  ["node_modules/zxing-wasm/dist/reader/zxing_reader.wasm", "barcode-detector/zxing_reader.wasm"],
  ["node_modules/zxing-wasm/LICENSE", "barcode-detector/LICENSE.zxing-wasm"],
];
// The source maps are not shipped: collectstatic's hashed names (ManifestStaticFilesStorage) refuse a
// file that references a missing one, and browsers would ask for them in vain.
const sourceMap = /\n?(\/\*# sourceMappingURL=[^*]*\*\/|\/\/# sourceMappingURL=\S+)\s*$/;
for (const [from, to] of files) {
  const target = `${out}/${to}`;
  cpSync(from, target, { recursive: true });
  if (statSync(target).isFile() && /\.(css|js)$/.test(target)) {
    writeFileSync(target, readFileSync(target, "utf8").replace(sourceMap, "\n"));
  }
}
console.log(`copied ${files.length} entries into ${out}`);

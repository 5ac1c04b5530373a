// The stocktake's camera in the page: reads asset labels (QR) and submits each as if typed into the count form.
// The browser's BarcodeDetector when it reads QR codes (Chrome on Android), otherwise the vendored ponyfill
// (ZXing in WebAssembly, loaded on first use from this site). Without a camera the form stays as it is.
(function () {
  "use strict";
  const root = document.querySelector("[data-scanner]");
  const form = document.querySelector("[data-scan-form]");
  if (!root || !form) return;
  const input = form.querySelector("[data-scan-code]");
  const start = root.querySelector("[data-scanner-start]");
  const stop = root.querySelector("[data-scanner-stop]");
  const video = root.querySelector("video");
  const status = root.querySelector("[data-scanner-status]");
  const say = (text) => { status.textContent = text; };

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(root.dataset.msgNoCamera);
    return;
  }
  start.hidden = false;

  let stream = null;
  let running = false;

  function loadPonyfill() {
    if (window.BarcodeDetectionAPI) return Promise.resolve(window.BarcodeDetectionAPI);
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = root.dataset.ponyfill;
      script.onload = () => resolve(window.BarcodeDetectionAPI);
      script.onerror = reject;
      document.head.appendChild(script);
    }).then((api) => {
      api.prepareZXingModule({
        overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? root.dataset.wasm : prefix + path) },
      });
      return api;
    });
  }

  async function detector() {
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) return new window.BarcodeDetector({ formats: ["qr_code"] });
      } catch (e) { /* fall through to the ponyfill */ }
    }
    const api = await loadPonyfill();
    return new api.BarcodeDetector({ formats: ["qr_code"] });
  }

  function halt() {
    running = false;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function submit(value) {
    halt();
    input.value = value;
    say(root.dataset.msgRead + " " + value);
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  async function loop(reader) {
    while (running) {
      if (video.readyState >= 2) {
        try {
          const codes = await reader.detect(video);
          const code = codes.find((c) => c.rawValue);
          if (code) { submit(code.rawValue); return; }
        } catch (e) { /* a frame it could not read: try the next one */ }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  start.addEventListener("click", async () => {
    say(root.dataset.msgStarting);
    try {
      const reader = await detector();
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      running = true;
      start.hidden = true;
      stop.hidden = false;
      say(root.dataset.msgAim);
      loop(reader);
    } catch (e) {
      halt();
      say(root.dataset.msgNoCamera);
    }
  });
  stop.addEventListener("click", () => { halt(); say(""); });
  window.addEventListener("pagehide", halt);
}());

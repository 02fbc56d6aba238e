// Search from file://. Material's search runs in a Web Worker, and Chromium refuses
// `new Worker(...)` for a page opened from disk. On file:// this runs the worker's
// script in a hidden iframe instead: the page's messages arrive there as "message"
// events, and what the script posts back arrives at the page as the worker's.
// (Material's offline plugin, in mkdocs.yml, loads an "iframe-worker" polyfill from
// the network unless one is given: this file is that polyfill, with no network.)
"use strict";
if (location.protocol === "file:") {
  window.Worker = class IframeWorker extends EventTarget {
    constructor(url) {
      super();
      this.pending = [];
      this.frame = document.createElement("iframe");
      this.frame.hidden = true;
      document.documentElement.appendChild(this.frame);
      const scope = this.frame.contentWindow;  // about:blank: the page's own origin
      scope.postMessage = data => this.dispatchEvent(new MessageEvent("message", { data }));
      const script = scope.document.createElement("script");
      script.src = new URL(url, location.href).href;
      script.onload = () => { this.scope = scope; this.pending.splice(0).forEach(data => this.postMessage(data)); };
      script.onerror = () => this.dispatchEvent(new Event("error"));
      scope.document.head.appendChild(script);
    }
    postMessage(data) {
      if (!this.scope) return void this.pending.push(data);
      this.scope.dispatchEvent(new MessageEvent("message", { data }));
    }
    terminate() { this.frame.remove(); }
  };
}

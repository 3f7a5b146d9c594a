// hub.js: open the Patchbay Hub from any page and learn which account was linked.
//
//   <script src="https://patchbay.example.com/static/hub/hub.js"></script>
//   PatchbayHub.open(authLinkURL).then((account) => console.log(account.id, account.provider));
//
// The Hub opens in a popup; the promise resolves with {id, provider} when the
// Hub posts {type: "AccountConnected"} from Patchbay's origin, and rejects if the
// popup is blocked or closed before an account is linked.
(function () {
  "use strict";
  function open(authLinkURL, options) {
    const opts = Object.assign({ width: 1024, height: 800 }, options);
    const origin = new URL(authLinkURL, location.href).origin;
    return new Promise((resolve, reject) => {
      const left = Math.max(0, (screen.width - opts.width) / 2);
      const top = Math.max(0, (screen.height - opts.height) / 2);
      const popup = window.open(authLinkURL, "patchbay-hub", `width=${opts.width},height=${opts.height},left=${left},top=${top}`);
      if (!popup) {
        reject(new Error("popup blocked"));
        return;
      }
      function onMessage(event) {
        if (event.origin !== origin || !event.data || event.data.type !== "AccountConnected") return;
        window.removeEventListener("message", onMessage);
        clearInterval(watch);
        resolve(event.data.account);
      }
      window.addEventListener("message", onMessage);
      // A closed popup with no message means the user gave up.
      const watch = setInterval(() => {
        if (popup.closed) {
          clearInterval(watch);
          window.removeEventListener("message", onMessage);
          reject(new Error("closed"));
        }
      }, 500);
    });
  }
  window.PatchbayHub = { open };
})();

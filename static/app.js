// capacity-survey: the one script of the site. Pages work without it; it adds autosave of
// questionnaire sections, a copy kept in the browser while offline (offered back, never applied
// silently), and a warning before leaving unsaved changes. No framework, no inline code.
"use strict";

(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var status = document.getElementById("save-status");
  var storeKey = "capacity-survey:draft:" + form.getAttribute("data-autosave");
  var savedMs = parseInt(form.getAttribute("data-saved-ms") || "0", 10);
  var DELAY_MS = 3000;
  var RETRY_MS = 10000;
  var dirty = false;
  var saving = false;
  var timer = null;
  var submitting = false;

  function message(name) {
    return form.getAttribute("data-msg-" + name) || "";
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null;
    }
  }

  // The fields that carry answers (not the token, version or buttons).
  function answerFields() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && name !== "version" && name !== "action") {
        pairs.push([name, String(value)]);
      }
    });
    return pairs;
  }

  function keepLocally() {
    var store = storage();
    if (store) {
      try {
        store.setItem(storeKey, JSON.stringify({ at: Date.now(), fields: answerFields() }));
      } catch (e) {
        // A full or disabled storage only loses the offline copy, not the page.
      }
    }
  }

  function dropLocal() {
    var store = storage();
    if (store) {
      store.removeItem(storeKey);
    }
  }

  function changed() {
    dirty = true;
    keepLocally();
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  }

  function save() {
    if (saving || !dirty || submitting) {
      return;
    }
    saving = true;
    say(message("saving"));
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      body.append(name, String(value));
    });
    body.set("action", "save");
    var sentVersion = form.elements.version ? form.elements.version.value : "";
    // Not form.action: the buttons are named "action" and shadow that property.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRF-Token": form.elements.csrf_token ? form.elements.csrf_token.value : ""
      }
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (data) {
            return { status: response.status, data: data };
          });
      })
      .then(function (result) {
        saving = false;
        if (result.status === 200 && result.data) {
          if (form.elements.version && form.elements.version.value === sentVersion) {
            form.elements.version.value = String(result.data.version);
          }
          dirty = false;
          dropLocal();
          var now = new Date();
          var time = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
          say(message("saved").replace("%{time}", time));
        } else if (result.status === 409) {
          // Shown, not swallowed: the user's values stay in the form and in the browser.
          say(message("conflict"));
        } else if (result.status === 422) {
          say(message("invalid"));
        } else {
          say(message("failed"));
        }
      })
      .catch(function () {
        // The server cannot be reached: keep the copy and try again when back.
        saving = false;
        say(message("offline"));
        clearTimeout(timer);
        timer = setTimeout(save, RETRY_MS);
      });
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    submitting = true;
    clearTimeout(timer);
  });
  window.addEventListener("online", function () {
    if (dirty) {
      save();
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      keepLocally();
      event.preventDefault();
      event.returnValue = message("leave");
      return message("leave");
    }
    return undefined;
  });

  // A copy kept in this browser that is newer than the server's: offer it, never apply it
  // silently.
  function offerRestore() {
    var store = storage();
    var panel = document.getElementById("restore");
    if (!store || !panel) {
      return;
    }
    var kept = null;
    try {
      kept = JSON.parse(store.getItem(storeKey) || "null");
    } catch (e) {
      kept = null;
    }
    if (!kept || !kept.fields || kept.at <= savedMs) {
      return;
    }
    panel.hidden = false;
    document.getElementById("restore-apply").addEventListener("click", function () {
      apply(kept.fields);
      panel.hidden = true;
      changed();
    });
    document.getElementById("restore-discard").addEventListener("click", function () {
      dropLocal();
      panel.hidden = true;
    });
  }

  function apply(fields) {
    var byName = {};
    fields.forEach(function (pair) {
      (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]);
    });
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || name === "csrf_token" || name === "version" || name === "_items") {
        return;
      }
      var values = byName[name] || [];
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = values.indexOf(element.value) !== -1;
      } else if (element.tagName === "SELECT" || element.tagName === "TEXTAREA" || element.type === "text") {
        element.value = values.length ? values[0] : "";
      }
    });
  }

  offerRestore();
})();

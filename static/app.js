// capacity-survey: the one script of the site. Pages work without it; it adds autosave of
// questionnaire sections, a copy kept in the browser while offline (offered back, never applied
// silently), a warning before leaving unsaved changes, adding and removing mechanism entries
// without a reload, and focus moved to what needs reading (errors, confirmations). No
// framework, no inline code.
"use strict";

// Styles and tests can tell that the script runs.
document.documentElement.classList.add("js");

// Focus: an error summary takes the focus on load, so it is read first; its links focus the
// field they name (a fieldset's first input). Otherwise a confirmation (flash) takes it.
(function () {
  function focusTarget(target) {
    if (!target) {
      return;
    }
    var field = target;
    if (target.tagName === "FIELDSET" || target.tagName === "DIV") {
      field = target.querySelector("input:not([type=hidden]), select, textarea") || target;
    }
    field.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
    if (!link) {
      return;
    }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target) {
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      focusTarget(target);
    }
  });

  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
    return;
  }
  var flash = document.querySelector(".flash");
  if (flash) {
    flash.setAttribute("tabindex", "-1");
    flash.focus();
  }
})();

// Mechanism entries: "Add" opens the entry form in the page and "Remove" removes the row, both
// without a reload; the list is then fetched again from the server, so it looks exactly as the
// page without script would show it.
(function () {
  var list = document.getElementById("mechanism-list");
  var addLink = document.getElementById("mechanism-add-link");
  var panel = document.getElementById("mechanism-add");
  var panelBody = document.getElementById("mechanism-add-body");
  var status = document.getElementById("mechanism-status");
  if (!list || !addLink || !panel || !panelBody || !window.fetch || !window.DOMParser) {
    return;
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function message(name) {
    return list.getAttribute("data-msg-" + name) || "";
  }

  function parse(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  function csrf(form) {
    return form.elements.csrf_token ? form.elements.csrf_token.value : "";
  }

  function post(form) {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      body.append(name, String(value));
    });
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": csrf(form) }
    });
  }

  // Fetches this page again and puts its list in place of ours.
  function refreshList() {
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var fresh = parse(html).getElementById("mechanism-list");
        if (fresh) {
          list.innerHTML = fresh.innerHTML;
        }
      });
  }

  function closePanel() {
    panel.hidden = true;
    panelBody.innerHTML = "";
  }

  // Shows the entry form (and any error summary) from a page of the server.
  function showForm(doc) {
    var form = doc.querySelector("form.questionnaire");
    if (!form) {
      return false;
    }
    panelBody.innerHTML = "";
    doc.querySelectorAll(".error-summary").forEach(function (node) {
      panelBody.appendChild(document.importNode(node, true));
    });
    var imported = document.importNode(form, true);
    panelBody.appendChild(imported);
    panel.hidden = false;
    var cancel = imported.querySelector(".form-actions a");
    if (cancel) {
      cancel.addEventListener("click", function (event) {
        event.preventDefault();
        closePanel();
        addLink.focus();
      });
    }
    imported.addEventListener("submit", function (event) {
      event.preventDefault();
      submitEntry(imported);
    });
    var summary = panelBody.querySelector(".error-summary");
    if (summary) {
      summary.focus();
    } else {
      var first = imported.querySelector("input:not([type=hidden]), select, textarea");
      (first || document.getElementById("mechanism-add-title")).focus();
    }
    return true;
  }

  function submitEntry(form) {
    post(form)
      .then(function (response) {
        if (response.status === 201) {
          return response.json().then(function (data) {
            closePanel();
            return refreshList().then(function () {
              say(data.message || "");
              var link = list.querySelector("a[href$='/mechanisms/" + data.id + "']");
              (link || addLink).focus();
            });
          });
        }
        return response.text().then(function (html) {
          if (!showForm(parse(html))) {
            say(message("failed"));
          }
        });
      })
      .catch(function () {
        say(message("offline"));
      });
  }

  addLink.addEventListener("click", function (event) {
    event.preventDefault();
    if (!panel.hidden) {
      document.getElementById("mechanism-add-title").focus();
      return;
    }
    fetch(addLink.getAttribute("href"), { credentials: "same-origin" })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        if (!showForm(parse(html))) {
          window.location.href = addLink.getAttribute("href");
        }
      })
      .catch(function () {
        say(message("offline"));
      });
  });

  // Remove: the forms are in the list, which is replaced after each change, so listen on it.
  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.getAttribute("action") || !/\/delete$/.test(form.getAttribute("action"))) {
      return;
    }
    event.preventDefault();
    var rows = Array.prototype.slice.call(list.querySelectorAll("tbody tr"));
    var index = rows.indexOf(form.closest("tr"));
    post(form)
      .then(function (response) {
        if (response.status !== 200) {
          say(message("failed"));
          return null;
        }
        return response.json().then(function (data) {
          return refreshList().then(function () {
            say(data.message || "");
            // The focus goes to the row that took the removed one's place, else the last row,
            // else the "Add" button.
            var links = list.querySelectorAll("tbody tr th a");
            var next = links[Math.min(index, links.length - 1)];
            (next || addLink).focus();
          });
        });
      })
      .catch(function () {
        say(message("offline"));
      });
  });
})();

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

  function save(leaving) {
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
      // Leaving the page: the request outlives it.
      keepalive: leaving === true,
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
  // Leaving the page (another tab, closing, a phone locking): save now rather than later.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty) {
      clearTimeout(timer);
      save(true);
    }
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

// An assessment's tabs: on a phone they make one row that scrolls sideways; the current tab is
// brought to the middle of that row (the page itself does not move).
(function () {
  var current = document.querySelector(".tabs [aria-current=page]");
  var row = current && current.closest("ul");
  if (!row || row.scrollWidth <= row.clientWidth) {
    return;
  }
  var offset = current.getBoundingClientRect().left - row.getBoundingClientRect().left;
  row.scrollLeft += offset - (row.clientWidth - current.offsetWidth) / 2;
})();

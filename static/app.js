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

  // Remove asks first, in the row: the link (to the confirmation page, without script) gives way
  // to the question with "Yes, remove" (focused) and "Cancel"; Escape cancels.
  list.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.mechanism-remove") : null;
    if (!link) {
      return;
    }
    event.preventDefault();
    var cell = link.parentNode;
    if (cell.querySelector("form")) {
      cell.querySelector("form button[type=submit]").focus();
      return;
    }
    var token = document.querySelector("input[name=csrf_token]");
    var confirm = document.createElement("form");
    confirm.setAttribute("method", "post");
    confirm.setAttribute("action", link.getAttribute("href"));
    confirm.className = "inline-confirm";
    var csrfField = document.createElement("input");
    csrfField.type = "hidden";
    csrfField.name = "csrf_token";
    csrfField.value = token ? token.value : "";
    var question = document.createElement("span");
    question.id = "ask-" + link.getAttribute("href").split("/").slice(-2, -1)[0];
    question.textContent = message("ask").replace("%{name}", link.getAttribute("data-name") || "");
    var yes = document.createElement("button");
    yes.type = "submit";
    yes.className = "button small danger";
    yes.textContent = message("confirm");
    yes.setAttribute("aria-describedby", question.id);
    var no = document.createElement("button");
    no.type = "button";
    no.className = "button small";
    no.textContent = message("cancel");
    function cancel() {
      cell.removeChild(confirm);
      link.hidden = false;
      link.focus();
    }
    no.addEventListener("click", cancel);
    confirm.addEventListener("keydown", function (key) {
      if (key.key === "Escape") {
        key.preventDefault();
        cancel();
      }
    });
    confirm.appendChild(csrfField);
    confirm.appendChild(question);
    confirm.appendChild(document.createTextNode(" "));
    confirm.appendChild(yes);
    confirm.appendChild(document.createTextNode(" "));
    confirm.appendChild(no);
    link.hidden = true;
    cell.appendChild(confirm);
    yes.focus();
  });

  // Remove, once confirmed: the forms are in the list, which is replaced after each change, so
  // listen on it.
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

// Copies of unsaved answers kept in this browser, one per section of a response: removed once
// the response is submitted (the page that shows it submitted says so) and at logout, so that a
// shared computer keeps nobody's answers.
var DRAFT_PREFIX = "capacity-survey:draft:";
// Set at logout: the copies are gone and must not be written again as the page unloads.
var draftsDropped = false;

function browserStorage() {
  try {
    return window.localStorage;
  } catch (e) {
    return null;
  }
}

function dropDrafts(prefix) {
  var store = browserStorage();
  if (!store) {
    return;
  }
  try {
    for (var i = store.length - 1; i >= 0; i -= 1) {
      var key = store.key(i);
      if (key && key.indexOf(prefix) === 0) {
        store.removeItem(key);
      }
    }
  } catch (e) {
    // A storage that cannot be read holds nothing to remove.
  }
}

(function () {
  var submitted = document.querySelector("[data-drop-drafts]");
  if (submitted) {
    dropDrafts(DRAFT_PREFIX + submitted.getAttribute("data-drop-drafts") + ":");
  }
  document.addEventListener("submit", function (event) {
    if (event.target.getAttribute && event.target.getAttribute("action") === "/logout") {
      draftsDropped = true;
      dropDrafts(DRAFT_PREFIX);
    }
  });
})();

// A section of the questionnaire: follow-up questions appear and disappear as the answers they
// depend on change; the section's progress follows the answers; autosave with an honest status
// (unsaved changes, saving, saved at the server's time of the save); a copy kept in the browser
// while unsaved (offered back, never applied silently); a warning before leaving unsaved changes.
(function () {
  var form = document.querySelector("form[data-autosave]");
  var status = document.getElementById("save-status");
  if (!form || !status) {
    return;
  }
  var announcer = document.getElementById("relevance-status");
  var storeKey = DRAFT_PREFIX + form.getAttribute("data-autosave");
  var savedMs = parseInt(form.getAttribute("data-saved-ms") || "0", 10);
  var DELAY_MS = 3000;
  var RETRY_MS = 10000;
  var each = Array.prototype.forEach;

  function message(name) {
    return form.getAttribute("data-msg-" + name) || "";
  }

  // ---- what the form holds ----

  function controlsNamed(name) {
    return form.querySelectorAll('[name="' + name + '"]');
  }

  // The values of one field that count as an answer (checked choices, a chosen option, text).
  function valuesOf(name) {
    var values = [];
    each.call(controlsNamed(name), function (control) {
      if (control.disabled) {
        return;
      }
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) {
          values.push(control.value);
        }
      } else if (control.value.trim() !== "") {
        values.push(control.value.trim());
      }
    });
    return values;
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

  // The answers of a list of fields, comparable as text (which items are shown aside).
  function answersText(pairs) {
    return JSON.stringify(
      pairs
        .filter(function (pair) {
          return pair[0].indexOf("v.") === 0 || pair[0].indexOf("e.") === 0;
        })
        .map(function (pair) {
          return pair[0] + "=" + pair[1];
        })
        .sort()
    );
  }

  // ---- follow-up questions ----

  var conditional = Array.prototype.slice.call(form.querySelectorAll(".item[data-when]"));

  function applies(item) {
    var equals = (item.getAttribute("data-equals") || "").split(" ");
    return valuesOf(item.getAttribute("data-when")).some(function (value) {
      return equals.indexOf(value) !== -1;
    });
  }

  function labelOf(item) {
    var label = item.querySelector("legend, label");
    if (!label) {
      return "";
    }
    var copy = label.cloneNode(true);
    each.call(copy.querySelectorAll(".required"), function (node) {
      node.parentNode.removeChild(node);
    });
    return copy.textContent.trim();
  }

  // The answer a follow-up depends on, to take the focus when the follow-up goes away.
  function focusAnswerOf(item) {
    var controls = controlsNamed(item.getAttribute("data-when"));
    var target = null;
    each.call(controls, function (control) {
      if (!target && (control.checked || (control.type !== "radio" && control.type !== "checkbox"))) {
        target = control;
      }
    });
    target = target || controls[0];
    if (target) {
      target.focus();
    }
  }

  function say(text) {
    if (announcer && text) {
      announcer.textContent = text;
    }
  }

  // Shows the follow-ups that apply and hides (and stops posting) the others; says what changed
  // when `announce`.
  function updateFollowUps(announce) {
    var shown = [];
    var hidden = [];
    conditional.forEach(function (item) {
      var applying = applies(item);
      if (applying === !item.hidden) {
        return;
      }
      if (!applying && item.contains(document.activeElement)) {
        focusAnswerOf(item);
      }
      item.hidden = !applying;
      each.call(item.querySelectorAll("input, select, textarea"), function (control) {
        control.disabled = !applying;
      });
      (applying ? shown : hidden).push(labelOf(item));
    });
    if (announce) {
      var parts = [];
      if (shown.length) {
        parts.push(message("shown").replace("%{list}", shown.join("; ")));
      }
      if (hidden.length) {
        parts.push(message("hidden").replace("%{list}", hidden.join("; ")));
      }
      say(parts.join(" "));
    }
  }

  // ---- progress: the same units as the server's (a grid row, or a required item) ----

  var meter = document.getElementById("progress-meter");
  var progressText = document.getElementById("progress-text");

  function isAnswered(item) {
    return valuesOf("v." + item.getAttribute("data-key")).length > 0;
  }

  function updateProgress() {
    if (!meter || !progressText) {
      return;
    }
    var required = 0;
    var answered = 0;
    var units = [];
    each.call(form.querySelectorAll(".domain"), function (row) {
      units.push(row.querySelectorAll(".item[data-required]"));
    });
    each.call(form.querySelectorAll(".item[data-required]"), function (item) {
      if (!item.closest(".domain")) {
        units.push([item]);
      }
    });
    units.forEach(function (items) {
      var visible = Array.prototype.filter.call(items, function (item) {
        return !item.hidden;
      });
      if (!visible.length) {
        return;
      }
      required += 1;
      if (visible.every(isAnswered)) {
        answered += 1;
      }
    });
    var percent = required === 0 ? 100 : Math.floor((Math.min(answered, required) * 100) / required);
    meter.className = "meter-fill w" + Math.floor(percent / 5) * 5;
    progressText.textContent = message("progress")
      .replace("%{answered}", String(answered))
      .replace("%{required}", String(required));
  }

  // ---- the save status ----

  var state = status.getAttribute("data-state") || "";
  // Changes made on this page, and how many of them the last save carried.
  var edits = 0;
  var savedEdits = 0;
  // The page answered a refused save: the form holds values that are not saved.
  var unsavedFromServer = state === "unsaved";
  var saving = false;
  var conflicted = false;
  // Leaving by a link to the section itself (a conflict's "reload"): the values stay in the
  // browser's copy, offered after the reload, so the leave warning has nothing to add.
  var reloading = false;
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (link && link.getAttribute("href") === form.getAttribute("action")) {
      reloading = true;
      keepLocally();
    }
  });
  var timer = null;
  var submitting = false;

  function dirty() {
    return edits !== savedEdits || unsavedFromServer;
  }

  // Changes the status; the same state is not written (nor announced) again, except a new time
  // of save.
  function setState(name, text, reloadLink) {
    if (name === state && name !== "saved") {
      return;
    }
    state = name;
    status.setAttribute("data-state", name);
    status.textContent = text;
    if (reloadLink) {
      var link = document.createElement("a");
      // The section itself, by GET: a reload that sends nothing again.
      link.href = form.getAttribute("action");
      link.textContent = message("reload");
      status.appendChild(document.createTextNode(" "));
      status.appendChild(link);
    }
    fitScrollPadding();
  }

  // What the page scrolls to (a focused question, a linked one) lands below the save bar, however
  // tall the bar's message makes it (the stylesheet's padding is the default).
  var bar = status.closest(".save-bar");
  function fitScrollPadding() {
    if (bar) {
      document.documentElement.style.scrollPaddingTop = bar.offsetHeight + 12 + "px";
    }
  }
  window.addEventListener("resize", fitScrollPadding);

  function keepLocally() {
    var store = browserStorage();
    if (store && !draftsDropped) {
      try {
        store.setItem(storeKey, JSON.stringify({ at: Date.now(), fields: answerFields() }));
      } catch (e) {
        // A full or disabled storage only loses the offline copy, not the page.
      }
    }
  }

  function dropLocal() {
    var store = browserStorage();
    if (store) {
      store.removeItem(storeKey);
    }
  }

  function changed() {
    edits += 1;
    keepLocally();
    updateFollowUps(true);
    updateProgress();
    if (conflicted) {
      // The conflict and its advice stay on screen; nothing is sent over the other save.
      return;
    }
    setState("unsaved", message("unsaved"));
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  }

  function save(leaving) {
    if (saving || edits === savedEdits || submitting || conflicted) {
      return;
    }
    saving = true;
    var sentEdits = edits;
    setState("saving", message("saving"));
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
        var data = result.data || {};
        if (result.status === 200 && result.data) {
          if (form.elements.version && form.elements.version.value === sentVersion) {
            form.elements.version.value = String(data.version);
          }
          savedEdits = sentEdits;
          unsavedFromServer = false;
          if (edits !== savedEdits) {
            // Typed while it was saving: those changes are not saved yet.
            setState("unsaved", message("unsaved"));
            clearTimeout(timer);
            timer = setTimeout(save, DELAY_MS);
          } else {
            dropLocal();
            setState("saved", message("saved").replace("%{time}", data.saved_at || ""));
          }
        } else if (result.status === 409) {
          // Shown, not swallowed: the values stay in the form and in the browser. Who saved
          // decides the words: one's own save elsewhere is not someone else's.
          conflicted = true;
          var text = message(data.by_you ? "conflict-you" : "conflict-other")
            .replace("%{name}", data.saved_by || "")
            .replace("%{time}", data.saved_at || "");
          setState("conflict", text, true);
        } else if (result.status === 422) {
          setState("invalid", message("invalid"));
        } else {
          setState("failed", message("failed"));
        }
      })
      .catch(function () {
        // The server cannot be reached: keep the copy and try again when back.
        saving = false;
        setState("offline", message("offline"));
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
    if (document.visibilityState === "hidden" && edits !== savedEdits) {
      clearTimeout(timer);
      save(true);
    }
  });
  window.addEventListener("online", function () {
    if (edits !== savedEdits) {
      save();
    }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty() && !submitting && !reloading) {
      keepLocally();
      event.preventDefault();
      event.returnValue = message("leave");
      return message("leave");
    }
    return undefined;
  });
  // Back and forward may show the page with the values the browser remembers.
  window.addEventListener("pageshow", function () {
    updateFollowUps(false);
    updateProgress();
  });

  // ---- a copy kept in this browser ----

  function apply(fields) {
    var byName = {};
    fields.forEach(function (pair) {
      (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]);
    });
    each.call(form.elements, function (element) {
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

  function firstField() {
    return form.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])");
  }

  // A copy newer than the server's save that differs from what the page shows: offer it once,
  // never apply it silently. A page answering a refused save has no offer (it holds what was
  // typed already).
  function offerRestore() {
    var store = browserStorage();
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
    if (answersText(kept.fields) === answersText(answerFields())) {
      // The same answers as saved (a save made as the page was left): nothing to offer.
      dropLocal();
      return;
    }
    panel.hidden = false;
    function close() {
      panel.hidden = true;
      var field = firstField();
      if (field) {
        field.focus();
      }
    }
    document.getElementById("restore-apply").addEventListener("click", function () {
      apply(kept.fields);
      close();
      changed();
    });
    document.getElementById("restore-discard").addEventListener("click", function () {
      dropLocal();
      close();
    });
  }

  updateFollowUps(false);
  updateProgress();
  fitScrollPadding();
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

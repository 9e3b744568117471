// The widget page: reads the company and menu entry from the query (?company=poxnet&department=suporte)
// or lets the customer choose them, then mounts rasa-webchat on Rasa's own socket.io endpoint (same
// origin) with them as customData. The words come from locales/messages.yml through /widget/config.json.
(function () {
  "use strict";

  // rasa-webchat keeps the conversation (session id and messages) in localStorage under this key, so a
  // reload shows it again and the socket rejoins the same Rasa conversation.
  var SESSION_KEY = "chat_session";
  // The company and entry that conversation belongs to: another choice starts a new conversation.
  var CHOICE_KEY = "isp_widget_choice";
  var byId = function (id) { return document.getElementById(id); };

  function browserVariant() {
    var lang = (navigator.language || "pt-BR").toLowerCase();
    if (lang.indexOf("es") === 0) return "es";
    if (lang === "pt-pt") return "pt-PT";
    return "pt-BR";
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  function option(select, value, label, selected) {
    var item = document.createElement("option");
    item.value = value;
    item.textContent = label;
    item.selected = !!selected;
    select.appendChild(item);
  }

  function showChooser(config, words, query) {
    var form = byId("chooser"), companySelect = byId("company"), entrySelect = byId("department");
    document.documentElement.lang = words === config.words.es ? "es-CO" : (words === config.words["pt-PT"] ? "pt-PT" : "pt-BR");
    byId("heading").textContent = fill(words.widget_title, { company: "" }).trim();
    byId("choose-company").textContent = words.widget_choose_company;
    byId("choose-entry").textContent = words.widget_choose_entry;
    byId("start").textContent = words.widget_start;
    config.companies.forEach(function (company) {
      option(companySelect, company.id, company.name, company.id === query.get("company"));
    });
    function entries() {
      var company = config.companies.find(function (c) { return c.id === companySelect.value; });
      var entryWords = config.words[company ? company.variant : browserVariant()];
      entrySelect.textContent = "";
      option(entrySelect, "", entryWords.widget_any_entry, true);
      (company ? company.departments : []).forEach(function (d) { option(entrySelect, d.id, d.name, false); });
    }
    companySelect.addEventListener("change", entries);
    entries();
    form.hidden = false;  // a plain GET form: submitting it opens ?company=...&department=...
  }

  function unavailable(text) {
    var notice = byId("unavailable");
    notice.textContent = text;
    notice.hidden = false;
  }

  function openChat(config, company, department) {
    var words = config.words[company.variant];
    var title = fill(words.widget_title, { company: company.name });
    document.documentElement.lang = company.variant === "es" ? "es-CO" : company.variant;
    document.title = title;
    byId("heading").textContent = title;
    var change = byId("change");
    change.textContent = words.widget_change;
    change.hidden = false;

    var choice = JSON.stringify({ company: company.id, department: department ? department.id : null });
    try {
      if (localStorage.getItem(CHOICE_KEY) !== choice) {
        localStorage.removeItem(SESSION_KEY);  // never show one company's conversation under another
        localStorage.setItem(CHOICE_KEY, choice);
      }
    } catch (e) { /* storage disabled: the widget still works, without keeping the conversation */ }

    var customData = { company: company.id };
    if (department) customData.department = department.id;

    var script = document.createElement("script");
    script.src = "webchat.js";
    script.onerror = function () {
      unavailable(words.widget_not_installed);
      if (window.console) console.error("rasa-webchat is missing: run `make install` (npm ci in widget/)");
    };
    script.onload = function () {
      var chat = byId("chat");
      chat.hidden = false;
      window.WebChat.default({
        socketUrl: window.location.origin,  // Rasa's own port: same origin whatever CORS allows
        socketPath: "/socket.io/",
        customData: customData,
        initPayload: "/greet",
        title: company.name,
        subtitle: words.widget_subtitle,
        inputTextFieldHint: words.widget_input_hint,
        connectingText: words.widget_connecting,
        embedded: true,
        showFullScreenButton: false,
        showMessageDate: false,
        customMessageDelay: function () { return 300; },
        params: { storage: "local" }
      }, chat);
    };
    document.body.appendChild(script);
  }

  function start(config) {
    var query = new URLSearchParams(window.location.search);
    var company = config.companies.find(function (c) { return c.id === query.get("company"); });
    if (!company) {
      showChooser(config, config.words[browserVariant()], query);
      return;
    }
    var department = company.departments.find(function (d) { return d.id === query.get("department"); }) || null;
    openChat(config, company, department);
  }

  fetch("config.json", { cache: "no-store" })
    .then(function (r) { if (!r.ok) throw new Error("config.json: HTTP " + r.status); return r.json(); })
    .then(start)
    .catch(function (error) {
      if (window.console) console.error(error);
      unavailable("O chat não está disponível neste momento. / El chat no está disponible en este momento.");
    });
})();

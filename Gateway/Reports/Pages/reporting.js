// The report panel beside OHIF (GET /reporting?study=UID; Gateway/Reports/Pages/ReportingPages.cs). Doctors and
// admins write the draft (autosaved 3 s after typing stops and when the page is left, retried with back-off while the
// gateway does not answer), mark it preliminary (optional), sign it, amend a signed report; operators read the signed
// report. Every write names the
// ETag it was made against: a 412 shows who changed the report meanwhile instead of overwriting it. While editing, the
// panel holds the report's advisory lock (POST …/lock, renewed by every autosave and a heartbeat every quarter of the
// lock's lifetime, at most 30 s, released when the page is left or the report signed); a second doctor sees "being
// edited by …" and cannot edit (an admin may take over) until the lock is free: the panel looks again when it would
// expire, then takes it and shows the report as it is then. Macros: "/name" and a space or Enter in a section expands
// to the macro's text (the doctor's own before a shared one; GET /api/report-macros). Dictation: where the browser
// offers the Web Speech API, each section has a button that inserts what was said at the cursor.
(function () {
  'use strict';
  var strings = JSON.parse(document.getElementById('pacs-strings').textContent);
  var body = document.body;
  var study = body.dataset.study;
  var me = body.dataset.user;
  var lang = body.dataset.lang;
  var mayEdit = body.dataset.role === 'doctor' || body.dataset.role === 'admin';
  var reportUrl = '/api/studies/' + encodeURIComponent(study) + '/report';
  var fields = ['clinicalInformation', 'technique', 'comparison', 'findings', 'impression', 'recommendations'];
  var autosaveDelayMs = 3000;
  var lockHeartbeatMs = 30000; // at most; a quarter of the lock's remaining lifetime when that is shorter
  var lock = { held: false, timer: 0, poll: 0 };
  var state = { etag: null, status: 'none', current: null, mode: 'read', edits: 0, savedEdits: 0, saving: null, timer: 0, retry: 0, conflict: false };
  var templates = [];
  var studyInfo = { modalities: [], description: '' };

  function $(id) { return document.getElementById(id); }
  function t(key) {
    var text = strings[key] || key;
    for (var i = 1; i < arguments.length; i++) { text = text.split('{' + (i - 1) + '}').join(String(arguments[i])); }
    return text;
  }
  function editable(status) { return status === 'none' || status === 'draft' || status === 'preliminary'; }
  function when(iso) { return iso ? new Date(iso).toLocaleString(lang) : ''; }
  function time(date) { return date.toLocaleTimeString(lang); }
  function toLogin() { window.location.assign('/login?returnUrl=' + encodeURIComponent(window.location.pathname + window.location.search)); }
  function problem(r) {
    return r.json().catch(function () { return {}; }).then(function (p) { return p.detail || p.title || String(r.status); });
  }
  function api(url, options) {
    options = options || {};
    options.credentials = 'same-origin';
    options.headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
    return fetch(url, options).then(function (r) {
      if (r.status === 401) { toLogin(); }
      return r;
    });
  }
  function content() {
    var value = { language: $('report-language').value, priority: $('priority').value, critical: $('critical').checked };
    fields.forEach(function (f) { value[f] = $(f).value; });
    return value;
  }
  function fill(version) {
    fields.forEach(function (f) { $(f).value = version ? version[f] || '' : ''; });
    $('report-language').value = version && version.language ? version.language : lang;
    $('priority').value = version && version.priority ? version.priority : 'routine';
    $('critical').checked = !!(version && version.critical);
    showMacros();
  }

  // ---- The advisory editing lock ----
  function showLock(holder) {
    if (!holder) { $('lock-banner').hidden = true; return; }
    var since = new Date(holder.since).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
    $('lock-text').textContent = t('locked_by', holder.holderName || holder.holder, since);
    $('take-over').hidden = body.dataset.role !== 'admin';
    $('lock-banner').hidden = false;
  }
  /** Milliseconds until the lock in a server's answer expires (by the server's clock: remainingMs). */
  function remaining(answer, otherwise) {
    return answer && typeof answer.remainingMs === 'number' ? answer.remainingMs : otherwise;
  }
  function lockLost(holder) {
    lock.held = false;
    clearTimeout(lock.timer);
    body.dataset.lock = 'other';
    showLock(holder);
    if (state.mode === 'edit' || state.mode === 'amend') { setMode('read'); }
    watchLock(holder);
  }
  /**
   * Locked out: look again when the holder's lock would expire (their panel renews it while it is open). Once it is
   * free, the report is loaded as it is then and, if it is still a draft, the lock taken.
   */
  function watchLock(holder) {
    clearTimeout(lock.poll);
    if (!mayEdit) { return; }
    var delay = Math.max(2000, Math.min(lockHeartbeatMs, remaining(holder, lockHeartbeatMs) + 500));
    lock.poll = setTimeout(function () {
      api(reportUrl + '/lock').then(function (r) { return r.ok ? r.json() : null; }).then(function (current) {
        if (current && current.locked && !current.mine) { showLock(current); watchLock(current); return null; }
        if (!current) { watchLock(null); return null; }
        showLock(null);
        body.dataset.lock = 'free';
        return loadReport().then(lockIfEditing);
      }, function () { watchLock(null); });
    }, delay);
  }
  /** Takes (or renews) the lock; resolves true when this page may edit. */
  function acquireLock(force) {
    return api(reportUrl + '/lock' + (force ? '?force=true' : ''), { method: 'POST' }).then(function (r) {
      if (r.ok) {
        return r.json().catch(function () { return null; }).then(function (answer) {
          lock.held = true;
          clearTimeout(lock.poll);
          heartbeat(Math.max(1000, Math.min(lockHeartbeatMs, Math.floor(remaining(answer, 4 * lockHeartbeatMs) / 4))));
          body.dataset.lock = 'mine';
          showLock(null);
          return true;
        });
      }
      if (r.status === 409) { return r.json().then(function (holder) { lockLost(holder); return false; }); }
      // The lock is advice: without an answer editing goes on (every save still names its ETag), and a holder's
      // heartbeat tries again soon.
      if (lock.held) { heartbeat(5000); }
      return true;
    }, function () { if (lock.held) { heartbeat(5000); } return true; });
  }
  function heartbeat(delay) {
    clearTimeout(lock.timer);
    lock.timer = setTimeout(function () { if (lock.held) { acquireLock(false); } }, delay);
  }
  function releaseLock() {
    if (!lock.held) { return; }
    lock.held = false;
    clearTimeout(lock.timer);
    fetch(reportUrl + '/lock', { method: 'DELETE', keepalive: true, credentials: 'same-origin' }).catch(function () {});
  }
  /** A 409 with the lock's holder (another doctor edits) or a plain conflict (the report changed). */
  function refused409(r) {
    return r.json().catch(function () { return {}; }).then(function (p) { return p.holder ? lockLost(p) : conflict(); });
  }

  // ---- Critical findings: the notification (who, how, when) must be recorded before a critical report is signed ----
  function showCritical() {
    var editing = state.mode === 'edit' || state.mode === 'amend';
    $('critical-row').hidden = !(mayEdit && ($('critical').checked || $('notifications').children.length > 0));
    $('notify-form').hidden = !(editing && $('critical').checked);
  }
  function showNotifications(list) {
    var ol = $('notifications');
    ol.textContent = '';
    (list || []).forEach(function (n) {
      var item = document.createElement('li');
      item.textContent = t('notification_row', n.notified, t('method_' + n.method), when(n.notifiedAt), n.recordedBy);
      ol.appendChild(item);
    });
    showCritical();
  }

  // ---- Study header (QIDO-RS, PS3.18 10.6; attributes by tag, DICOM JSON PS3.18 F.2) ----
  // A DICOM DA (PS3.5 6.2: YYYYMMDD) as the worklist shows dates (ISO 8601, YYYY-MM-DD); anything else as it is.
  function dicomDate(da) { return /^\d{8}$/.test(da) ? da.slice(0, 4) + '-' + da.slice(4, 6) + '-' + da.slice(6) : da; }
  function value(dataset, tag) {
    var element = dataset[tag];
    if (!element || !element.Value || element.Value.length === 0) { return ''; }
    var v = element.Value[0];
    return typeof v === 'object' ? (v.Alphabetic || '') : String(v);
  }
  function loadStudy() {
    return api('/dicom-web/studies?StudyInstanceUID=' + encodeURIComponent(study) + '&includefield=00100030,00081030', { headers: { Accept: 'application/dicom+json' } })
      .then(function (r) { return r.status === 200 ? r.json() : []; })
      .then(function (list) {
        var header = $('study-header');
        header.textContent = '';
        if (!list || list.length === 0) { return; }
        var d = list[0];
        var modalities = d['00080061'] && d['00080061'].Value ? d['00080061'].Value : [];
        studyInfo = { modalities: modalities, description: value(d, '00081030') };
        var name = value(d, '00100010').split('^');
        [[t('patient'), (name.length > 1 ? name[0] + ', ' + name[1] : name[0]) + ' (' + value(d, '00100020') + ')'],
         [t('birth_date'), dicomDate(value(d, '00100030'))],
         [t('study_date'), dicomDate(value(d, '00080020')) + ' · ' + modalities.join(', ') + ' · ' + (studyInfo.description || t('no_description'))],
         [t('accession'), value(d, '00080050')]].forEach(function (line) {
          var div = document.createElement('div');
          div.textContent = line[0] + ': ' + line[1];
          header.appendChild(div);
        });
      })
      .catch(function () {});
  }

  // ---- Templates (GET /api/report-templates) ----
  function proposed() {
    var description = (studyInfo.description || '').toLowerCase();
    var fits = templates.filter(function (tp) { return studyInfo.modalities.indexOf(tp.modality) >= 0; });
    var byWord = fits.filter(function (tp) { return tp.keywords.some(function (k) { return description.indexOf(k) >= 0; }); });
    return byWord[0] || fits[0] || null;
  }
  function loadTemplates() {
    return api('/api/report-templates?lang=' + encodeURIComponent(lang))
      .then(function (r) { return r.ok ? r.json() : { templates: [] }; })
      .then(function (answer) {
        templates = answer.templates;
        var select = $('template');
        select.textContent = '';
        var best = proposed();
        var ordered = templates.slice().sort(function (a, b) {
          var fa = studyInfo.modalities.indexOf(a.modality) >= 0 ? 0 : 1;
          var fb = studyInfo.modalities.indexOf(b.modality) >= 0 ? 0 : 1;
          return fa - fb;
        });
        ordered.forEach(function (tp) {
          var option = document.createElement('option');
          option.value = tp.id;
          option.textContent = tp.name + ' (' + tp.modality + ')';
          select.appendChild(option);
        });
        if (best) { select.value = best.id; $('template').title = t('template_proposed', best.name); }
      });
  }
  function applyTemplate() {
    var chosen = templates.filter(function (tp) { return tp.id === $('template').value; })[0];
    if (!chosen) { return; }
    // A template holds some of the sections: the others keep what the doctor wrote.
    fields.forEach(function (f) { if (typeof chosen[f] === 'string') { $(f).value = chosen[f]; } });
    $('report-language').value = lang;
    showMacros();
    edited();
  }

  // ---- Macros (GET /api/report-macros): "/name" and a space or Enter in a section expands to the macro's text ----
  var macros = [];
  var lastField = 'findings';
  function writing() { return state.mode === 'edit' || state.mode === 'amend'; }
  /** The macros of the report's language: the doctor's own first, then the shared ones their own do not hide. */
  function usableMacros() {
    var language = $('report-language').value;
    var mine = macros.filter(function (m) { return !m.shared && m.language === language; });
    var names = mine.map(function (m) { return m.name; });
    return mine.concat(macros.filter(function (m) { return m.shared && m.language === language && names.indexOf(m.name) < 0; }));
  }
  function macroNamed(name) { return usableMacros().filter(function (m) { return m.name === name; })[0] || null; }
  /** Puts text into a section in place of [start, end), as if typed there. */
  function insert(area, text, start, end) {
    area.setRangeText(text, start, end, 'end');
    edited();
  }
  function expandMacro(e) {
    if (!writing() || (e.key !== ' ' && e.key !== 'Enter') || e.isComposing || e.ctrlKey || e.altKey || e.metaKey) { return; }
    var area = e.target;
    if (area.selectionStart !== area.selectionEnd) { return; }
    var match = /(^|\s)\/([^\s\/]{1,32})$/.exec(area.value.slice(0, area.selectionStart));
    var macro = match ? macroNamed(match[2].toLowerCase()) : null;
    if (!macro) { return; } // an unknown name stays as typed
    e.preventDefault();
    insert(area, macro.text + (e.key === 'Enter' ? '\n' : ' '), area.selectionStart - match[2].length - 1, area.selectionStart);
  }
  function showMacros() {
    var list = $('macro-list');
    list.textContent = '';
    usableMacros().forEach(function (m) {
      var item = document.createElement('li');
      item.dataset.macro = m.name;
      var use = document.createElement('button');
      use.type = 'button';
      use.className = 'macro-insert';
      use.textContent = '/' + m.name;
      use.title = t('macro_insert');
      use.addEventListener('click', function () {
        var area = $(lastField);
        if (writing()) { insert(area, m.text, area.selectionStart, area.selectionEnd); area.focus(); }
      });
      var text = document.createElement('span');
      text.className = 'macro-text';
      text.textContent = m.text.length > 80 ? m.text.slice(0, 79) + '…' : m.text;
      item.appendChild(use);
      item.appendChild(document.createTextNode(' '));
      item.appendChild(text);
      if (m.shared) {
        var shared = document.createElement('span');
        shared.className = 'macro-shared';
        shared.textContent = ' (' + t('macro_shared') + ')';
        item.appendChild(shared);
      } else {
        var remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'macro-delete';
        remove.textContent = '×';
        remove.title = t('macro_delete');
        remove.setAttribute('aria-label', t('macro_delete') + ' /' + m.name);
        remove.addEventListener('click', function () {
          api('/api/report-macros/' + m.id, { method: 'DELETE' }).then(function (r) {
            return r.ok ? loadMacros() : problem(r).then(function (d) { $('macro-status').textContent = t('macro_failed', d); });
          });
        });
        item.appendChild(document.createTextNode(' '));
        item.appendChild(remove);
      }
      list.appendChild(item);
    });
  }
  function loadMacros() {
    return api('/api/report-macros').then(function (r) { return r.ok ? r.json() : { macros: [] }; })
      .then(function (answer) { macros = answer.macros; showMacros(); }, function () {});
  }
  $('macro-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('macro-name').value.trim().replace(/^\//, '').toLowerCase();
    var language = $('report-language').value;
    var mine = macros.filter(function (m) { return !m.shared && m.name === name && m.language === language; })[0];
    var payload = { name: name, language: language, text: $('macro-text').value, shared: false };
    api('/api/report-macros' + (mine ? '/' + mine.id : ''), {
      method: mine ? 'PUT' : 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
    }).then(function (r) {
      if (!r.ok) { return problem(r).then(function (d) { $('macro-status').textContent = t('macro_failed', d); }); }
      $('macro-name').value = '';
      $('macro-text').value = '';
      $('macro-status').textContent = t('macro_saved', '/' + name);
      return loadMacros();
    });
  });

  // ---- Dictation: the Web Speech API where the browser offers it (a button per section, else none) ----
  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  // Recognition wants a BCP 47 tag with a region for most services.
  var speechLanguages = { en: 'en-GB', ru: 'ru-RU', es: 'es-ES', fr: 'fr-FR', de: 'de-DE' };
  var dictation = null;
  function dictate(field, button) {
    if (dictation) { dictation.stop(); return; } // a second press ends it
    var area = $(field);
    // What is said goes where the cursor was when dictation began, and on from there.
    var at = { start: area.selectionStart, end: area.selectionEnd };
    var recognition = new Recognition();
    recognition.lang = speechLanguages[$('report-language').value] || $('report-language').value;
    recognition.interimResults = false;
    recognition.continuous = true;
    recognition.maxAlternatives = 1;
    recognition.onresult = function (event) {
      for (var i = event.resultIndex; i < event.results.length; i++) {
        var result = event.results[i];
        var text = result.isFinal && result[0] ? String(result[0].transcript).trim() : '';
        if (!text || !writing()) { continue; }
        if (at.start > 0 && !/\s/.test(area.value.charAt(at.start - 1))) { text = ' ' + text; }
        if (at.end < area.value.length && !/\s/.test(area.value.charAt(at.end))) { text = text + ' '; }
        insert(area, text, at.start, at.end);
        at.start = at.end = area.selectionEnd;
      }
    };
    recognition.onerror = function (event) { $('save-status').textContent = t('dictation_failed', event.error || '?'); };
    recognition.onend = function () {
      dictation = null;
      button.setAttribute('aria-pressed', 'false');
      button.classList.remove('listening');
    };
    dictation = recognition;
    button.setAttribute('aria-pressed', 'true');
    button.classList.add('listening');
    try { recognition.start(); } catch (err) { recognition.onend(); $('save-status').textContent = t('dictation_failed', err.message); }
  }
  function addDictation() {
    if (typeof Recognition !== 'function') { return; }
    fields.forEach(function (f) {
      var button = document.createElement('button');
      button.type = 'button';
      button.id = 'dictate-' + f;
      button.className = 'dictate';
      button.hidden = true;
      button.textContent = t('dictate');
      button.title = t('dictate_title');
      button.setAttribute('aria-label', t('dictate') + ': ' + t(f));
      button.setAttribute('aria-pressed', 'false');
      button.addEventListener('click', function (e) { e.preventDefault(); dictate(f, button); });
      $(f).parentNode.insertBefore(button, $(f));
    });
  }

  // ---- Showing the report ----
  function setMode(mode) {
    state.mode = mode;
    var editing = mode === 'edit' || mode === 'amend';
    fields.forEach(function (f) { $(f).readOnly = !editing; });
    $('report-language').disabled = !editing;
    $('priority').disabled = !editing;
    $('critical').disabled = !editing;
    $('priority-row').hidden = !mayEdit;
    $('template-row').hidden = !editing;
    $('macro-box').hidden = !editing;
    Array.prototype.forEach.call(document.querySelectorAll('.dictate'), function (b) { b.hidden = !editing; });
    if (!editing && dictation) { dictation.stop(); }
    $('language-row').hidden = !mayEdit;
    $('sign').hidden = mode !== 'edit';
    $('preliminary').hidden = !(mode === 'edit' && state.status === 'draft');
    $('amend').hidden = !(mayEdit && mode === 'read' && (state.status === 'final' || state.status === 'amended'));
    $('sign-amendment').hidden = mode !== 'amend';
    $('amend-row').hidden = mode !== 'amend';
    var signed = state.status === 'final' || state.status === 'amended';
    $('pdf').hidden = !(mayEdit && (signed || state.status === 'preliminary'));
    $('pdf').href = reportUrl + '/pdf?lang=' + encodeURIComponent(lang);
    $('sections').hidden = !mayEdit && !signed;
    body.dataset.mode = mode;
    showCritical();
  }
  function show(report) {
    state.etag = report.etag;
    state.status = report.status;
    state.current = report.current;
    body.dataset.reportStatus = report.status;
    $('report-status').textContent = t('status_' + report.status);
    fill(report.current);
    showNotifications(report.criticalNotifications);
    state.savedEdits = state.edits;
    var info = '';
    var c = report.current;
    if (c && c.signer) { info = t('signed_by', c.signer, when(c.signedAt)); }
    else if (c && c.author && c.author !== me) { info = t('edited_by', c.author, when(c.updatedAt)); }
    $('report-editor-info').textContent = info;
    setMode(mayEdit && editable(report.status) ? 'edit' : 'read');
    loadVersions();
  }
  function loadReport() {
    return api(reportUrl).then(function (r) {
      if (r.status === 404) {
        return problem(r).then(function () {
          body.dataset.reportStatus = 'none';
          $('report-status').textContent = mayEdit ? t('unknown_study') : t('no_signed_report');
          setMode('read');
        });
      }
      if (!r.ok) { return problem(r).then(function (d) { $('report-status').textContent = t('load_failed', d); }); }
      return r.json().then(show);
    });
  }
  function loadVersions() {
    api(reportUrl + '/history').then(function (r) { return r.ok ? r.json() : { versions: [] }; }).then(function (h) {
      var list = $('versions');
      list.textContent = '';
      h.versions.forEach(function (v) {
        var item = document.createElement('li');
        item.textContent = t('version_row', v.version, t('status_' + v.status), v.signer || v.author, when(v.signedAt || v.updatedAt));
        item.addEventListener('click', function () {
          var view = $('version-view');
          view.hidden = false;
          view.textContent = fields.map(function (f) { return t(f) + ':\n' + (v[f] || ''); }).join('\n\n')
            + (v.amendmentReason ? '\n\n' + t('amend_reason') + ':\n' + v.amendmentReason : '');
        });
        list.appendChild(item);
      });
    });
  }

  // ---- Autosave of the draft ----
  function edited() {
    if (state.mode !== 'edit') { return; }
    state.edits++;
    $('save-status').textContent = t('unsaved');
    clearTimeout(state.timer);
    state.timer = setTimeout(save, autosaveDelayMs);
  }
  function dirty() { return state.mode === 'edit' && state.edits !== state.savedEdits; }
  /** One PUT of the draft; resolves when the text on screen is on the server (or a conflict/refusal stops it). */
  function save() {
    clearTimeout(state.timer);
    if (state.saving) { return state.saving.then(function () { return dirty() ? save() : null; }); }
    if (!dirty() || state.conflict) { return Promise.resolve(); }
    var edits = state.edits;
    $('save-status').textContent = t('saving');
    state.saving = api(reportUrl, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'If-Match': state.etag },
      body: JSON.stringify(content()),
    }).then(function (r) {
      if (r.ok) {
        return r.json().then(function (report) {
          state.etag = report.etag;
          state.status = report.status;
          state.current = report.current;
          body.dataset.reportStatus = report.status;
          $('report-status').textContent = t('status_' + report.status);
          $('preliminary').hidden = !(state.mode === 'edit' && report.status === 'draft');
          state.savedEdits = edits;
          state.retry = 0;
          $('save-status').textContent = t('saved_at', time(new Date()));
          body.dataset.savedEdits = String(edits);
        });
      }
      if (r.status === 409) { return refused409(r); }
      if (r.status === 412) { return conflict(); }
      if (r.status >= 500 || r.status === 429) { return problem(r).then(retryLater); }
      return problem(r).then(function (d) { $('save-status').textContent = d; });
    }, function (e) { retryLater(e.message); })
      .finally(function () { state.saving = null; });
    return state.saving.then(function () { return dirty() && !state.conflict && state.retry === 0 ? save() : null; });
  }
  function retryLater(reason) {
    // Exponential back-off, 2 s to 30 s: behind the load balancer the next attempt may reach another gateway.
    state.retry = Math.min(30, state.retry === 0 ? 2 : state.retry * 2);
    $('save-status').textContent = t('save_retry', reason, state.retry);
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { state.retry = state.retry || 1; save(); }, state.retry * 1000);
  }
  function conflict() {
    return api(reportUrl).then(function (r) { return r.json(); }).then(function (report) {
      state.conflict = true;
      state.pending = report;
      var c = report.current || {};
      $('conflict-text').textContent = t('conflict', c.signer || c.author || '?', when(c.signedAt || c.updatedAt), c.version || 0);
      $('conflict').hidden = false;
      $('save-status').textContent = '';
    });
  }
  $('conflict-load').addEventListener('click', function () {
    state.conflict = false;
    $('conflict').hidden = true;
    show(state.pending);
  });
  $('conflict-overwrite').addEventListener('click', function () {
    state.conflict = false;
    $('conflict').hidden = true;
    state.etag = state.pending.etag;
    if (editable(state.pending.status)) { state.edits++; save(); } else { show(state.pending); }
  });
  // Leaving the page (tab closed, navigation): the last edits go out with keepalive, which outlives the page
  // (sendBeacon cannot send PUT or If-Match).
  window.addEventListener('pagehide', function () {
    if (!dirty() || state.conflict) { releaseLock(); return; }
    fetch(reportUrl, {
      method: 'PUT',
      keepalive: true,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'If-Match': state.etag },
      body: JSON.stringify(content()),
    }).catch(function () {});
    // Sent after the save: should the release arrive first, the save still passes (the lock is then free).
    releaseLock();
  });
  document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'hidden' && dirty()) { save(); } });

  // ---- Sign, amend ----
  function signed(r) {
    if (!r.ok) {
      if (r.status === 412) { return conflict(); }
      if (r.status === 409) { return refused409(r); }
      return problem(r).then(function (d) { $('save-status').textContent = t('sign_failed', d); });
    }
    // Signed: the server ended the lock.
    lock.held = false;
    clearTimeout(lock.timer);
    return r.json().then(function (answer) { $('save-status').textContent = ''; show(answer.report); });
  }
  $('sign').addEventListener('click', function () {
    $('sign').disabled = true;
    save().then(function () {
      if (state.conflict || dirty()) { return null; }
      return api(reportUrl + '/sign', { method: 'POST', headers: { 'If-Match': state.etag } }).then(signed);
    }).finally(function () { $('sign').disabled = false; });
  });
  $('preliminary').addEventListener('click', function () {
    $('preliminary').disabled = true;
    save().then(function () {
      if (state.conflict || dirty()) { return null; }
      return api(reportUrl + '/preliminary', { method: 'POST', headers: { 'If-Match': state.etag } }).then(function (r) {
        if (!r.ok) {
          if (r.status === 412) { return conflict(); }
          return problem(r).then(function (d) { $('save-status').textContent = t('sign_failed', d); });
        }
        return r.json().then(function (report) { $('save-status').textContent = ''; show(report); });
      });
    }).finally(function () { $('preliminary').disabled = false; });
  });
  $('amend').addEventListener('click', function () {
    acquireLock(false).then(function (mayAmend) { if (mayAmend) { setMode('amend'); $('amend-reason').focus(); } });
  });
  $('take-over').addEventListener('click', function () {
    acquireLock(true).then(function (granted) { if (granted) { loadReport().then(lockIfEditing); } });
  });
  $('sign-amendment').addEventListener('click', function () {
    var reason = $('amend-reason').value.trim();
    if (!reason) { $('save-status').textContent = t('amend_reason_required'); return; }
    var payload = content();
    payload.reason = reason;
    api(reportUrl + '/amend', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'If-Match': state.etag },
      body: JSON.stringify(payload),
    }).then(signed).then(function () { $('amend-reason').value = ''; });
  });

  // ---- Next unreported study ----
  $('next-unreported').addEventListener('click', function () {
    api('/api/worklist?status=none&limit=2').then(function (r) { return r.ok ? r.json() : { items: [] }; }).then(function (page) {
      var next = page.items.filter(function (i) { return i.studyInstanceUid !== study; })[0];
      if (next) { window.location.assign('/reporting?study=' + encodeURIComponent(next.studyInstanceUid)); }
      else { $('save-status').textContent = t('none_left'); }
    });
  });

  fields.forEach(function (f) {
    $(f).addEventListener('input', edited);
    $(f).addEventListener('keydown', expandMacro);
    $(f).addEventListener('focus', function () { lastField = f; });
  });
  $('report-language').addEventListener('change', function () { edited(); showMacros(); });
  $('priority').addEventListener('change', edited);
  $('critical').addEventListener('change', function () { edited(); showCritical(); });
  $('record-notification').addEventListener('click', function () {
    var notified = $('notified').value.trim();
    if (!notified) { $('notified').focus(); return; }
    var at = $('notified-at').value;
    $('record-notification').disabled = true;
    // The record needs the report: the draft (flagged critical) is saved first.
    save().then(function () {
      return api(reportUrl + '/critical-notification', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ notified: notified, method: $('notify-method').value, notifiedAt: at ? new Date(at).toISOString() : null }),
      });
    }).then(function (r) {
      if (!r.ok) { return problem(r).then(function (d) { $('save-status').textContent = t('notification_failed', d); }); }
      return r.json().then(function (report) {
        $('notified').value = '';
        $('notified-at').value = '';
        $('save-status').textContent = '';
        showNotifications(report.criticalNotifications);
      });
    }).finally(function () { $('record-notification').disabled = false; });
  });
  $('apply-template').addEventListener('click', applyTemplate);
  $('next-unreported').hidden = !mayEdit;
  addDictation();
  setMode('read');
  function lockIfEditing() { return state.mode === 'edit' ? acquireLock(false) : null; }
  loadStudy().then(function () { return mayEdit ? Promise.all([loadTemplates(), loadMacros()]) : null; }).then(loadReport).then(lockIfEditing)
    .then(function () { body.dataset.ready = 'true'; });
})();

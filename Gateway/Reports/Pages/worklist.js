// The reporting worklist (GET /worklist; Gateway/Reports/Pages/ReportingPages.cs): /api/worklist with the filters of
// the form (critical findings first, then stat, urgent, routine), a page of 50 rows, a row opens the study in /reporting (OHIF with the report panel beside it).
(function () {
  'use strict';
  var strings = JSON.parse(document.getElementById('pacs-strings').textContent);
  var pageSize = 50;
  var offset = 0;
  var total = 0;
  var totalExact = true;
  function t(key) {
    var text = strings[key] || key;
    for (var i = 1; i < arguments.length; i++) { text = text.split('{' + (i - 1) + '}').join(String(arguments[i])); }
    return text;
  }
  function statusText(status) { return t('status_' + status); }
  // DICOM PN (PS3.5 6.2): components separated by '^'; shown "Family, Given".
  function personName(pn) {
    var parts = (pn || '').split('=')[0].split('^');
    return parts.length > 1 && parts[1] ? parts[0] + ', ' + parts[1] : parts[0];
  }
  function query() {
    var form = document.getElementById('filters');
    var params = new URLSearchParams();
    ['status', 'priority', 'modality', 'from', 'to'].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) { params.set(name, value); }
    });
    params.set('offset', String(offset));
    params.set('limit', String(pageSize));
    return params;
  }
  function cell(row, text) {
    var td = document.createElement('td');
    td.textContent = text || '';
    row.appendChild(td);
    return td;
  }
  function render(page) {
    var body = document.querySelector('#worklist tbody');
    body.textContent = '';
    total = page.total;
    // The server counts up to 1,000 matching studies (or the end of this page): beyond, "1–50 of 1,000+".
    totalExact = page.totalExact !== false;
    page.items.forEach(function (item) {
      var row = document.createElement('tr');
      row.dataset.study = item.studyInstanceUid;
      row.dataset.status = item.reportStatus;
      row.dataset.priority = item.priority;
      row.dataset.critical = String(item.critical);
      row.tabIndex = 0;
      cell(row, item.studyDate || '');
      cell(row, personName(item.patientName));
      var link = document.createElement('a');
      link.href = '/reporting?study=' + encodeURIComponent(item.studyInstanceUid);
      link.textContent = item.studyDescription || t('no_description');
      link.title = item.studyInstanceUid;
      cell(row, '').appendChild(link);
      cell(row, (item.modalities || []).join(', '));
      cell(row, item.accessionNumber);
      cell(row, statusText(item.reportStatus)).className = 'status-' + item.reportStatus;
      // Critical findings and stat studies head the list (the server's order); the flag is spelled out, not a colour only.
      cell(row, (item.critical ? t('critical') + ' · ' : '') + t('priority_' + item.priority)).className = 'priority-' + item.priority;
      cell(row, item.signer || item.author || '');
      row.addEventListener('click', function (e) { if (e.target !== link) { link.click(); } });
      row.addEventListener('keydown', function (e) { if (e.key === 'Enter') { link.click(); } });
      body.appendChild(row);
    });
    document.getElementById('worklist-message').textContent = page.items.length === 0 ? t('empty') : '';
    var first = offset + 1, last = offset + page.items.length, count = total.toLocaleString(document.documentElement.lang || undefined);
    document.getElementById('page-info').textContent = page.items.length === 0 ? ''
      : totalExact ? t('page_info', first, last, count) : t('page_info_more', first, last, count);
    document.getElementById('prev').disabled = offset === 0;
    document.getElementById('next').disabled = totalExact ? offset + page.items.length >= total : page.items.length < pageSize;
  }
  function load() {
    var message = document.getElementById('worklist-message');
    message.textContent = t('loading');
    fetch('/api/worklist?' + query().toString(), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) { return r.json().catch(function () { return {}; }).then(function (p) { throw new Error(p.detail || String(r.status)); }); }
        return r.json();
      })
      .then(render)
      .catch(function (e) { message.textContent = t('load_failed', e.message); });
  }
  document.getElementById('filters').addEventListener('submit', function (e) { e.preventDefault(); offset = 0; load(); });
  document.getElementById('prev').addEventListener('click', function () { offset = Math.max(0, offset - pageSize); load(); });
  document.getElementById('next').addEventListener('click', function () { offset += pageSize; load(); });
  load();
})();

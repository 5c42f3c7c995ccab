// The staff dashboard: reads /api/v1/analytics/ with the admin session and draws the charts.
// Every text that reaches the page goes through text nodes; no HTML is built from data.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("analytics-config").textContent);
  const form = document.getElementById("filters");
  const status = document.getElementById("status");
  const charts = {};
  const PALETTE = ["#2f6fde", "#e07a1f", "#2a9d5b", "#b83280", "#7a5af8", "#8a8f98"];
  const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  // chart -> the API series it draws (several: one line each)
  const SERIES = {
    messages: ["messages"],
    messages_by_kind: ["messages_by_kind"],
    messages_by_client: ["messages_by_client"],
    actives: ["dau", "wau", "actives_15", "mau"],
    new_users: ["new_users"],
    moderation: ["reports_opened", "reports_resolved"],
    first_reply_median_s: ["first_reply_median_s"],
    reads: ["reads"],
    held_messages: ["held_messages"],
    held_review: ["held_approved", "held_rejected"],
    spam_rate: ["spam_rate"],
    notifications: ["notifications_delivered", "notifications_failed"],
  };

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  // The script is deferred, so a person (or a test) can type a range before it runs: a day already
  // in a field is kept, and only an empty one gets the default (the 30 days up to yesterday).
  function defaults() {
    const { from, to } = form.elements;
    if (!to.value) to.value = isoDay(new Date(Date.now() - 86400000));
    if (!from.value) from.value = isoDay(new Date(Date.parse(to.value) - 29 * 86400000));
  }

  function params() {
    const query = new URLSearchParams({
      from: form.elements.from.value,
      to: form.elements.to.value,
      grain: form.elements.grain.value,
    });
    if (form.elements.cumulative.checked) query.set("cumulative", "true");
    return query;
  }

  // Each load is a generation. An answer that arrives after a newer load began is dropped before
  // it draws anything, so a slow first load can't paint over the range someone just asked for.
  let generation = 0;
  class Superseded extends Error {}

  async function get(path, query) {
    const mine = generation;
    const response = await fetch(config.api + path + "?" + query, { credentials: "same-origin" });
    const body = await response.json();
    if (mine !== generation) throw new Superseded();
    if (!response.ok) throw new Error((body.error && body.error.message) || response.statusText);
    return body;
  }

  function heading(section, exports, query) {
    let h2 = section.querySelector("h2");
    if (!h2) {
      h2 = document.createElement("h2");
      section.prepend(h2);
    }
    h2.replaceChildren(document.createTextNode(section.dataset.title));
    const links = document.createElement("span");
    for (const name of exports) {
      const link = document.createElement("a");
      link.href = config.api + "site/export/" + name + ".csv?" + query;
      link.textContent = exports.length > 1 ? name + " CSV" : "CSV";
      links.append(link, document.createTextNode(" "));
    }
    h2.append(links);
  }

  function formatBytes(n) {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    return n.toFixed(i ? 1 : 0) + " " + units[i];
  }

  async function tiles(query) {
    const summary = await get("site/summary", query);
    for (const tile of document.querySelectorAll("[data-tile]")) {
      const value = summary[tile.dataset.tile];
      tile.textContent = tile.dataset.tile === "storage_bytes" ? formatBytes(value) : Number(value).toLocaleString();
    }
  }

  function dataset(section, label, values, index) {
    const colour = PALETTE[index % PALETTE.length];
    // Stacked areas fill down to the series below them; lines do not fill.
    const fill = "stacked" in section.dataset ? (index ? "-1" : "origin") : false;
    return { label, data: values, borderColor: colour, backgroundColor: colour + "55", fill, pointRadius: 0, tension: 0.2 };
  }

  async function lineChart(section, query) {
    const names = SERIES[section.dataset.chart];
    heading(section, names, query);
    const bodies = await Promise.all(names.map((name) => get("site/series/" + name, query)));
    const datasets = [];
    bodies.forEach((body, i) => {
      for (const [dim, values] of Object.entries(body.series)) {
        datasets.push(dataset(section, names.length > 1 ? names[i] : dim, values, datasets.length));
      }
    });
    draw(section, bodies[0].labels, datasets);
  }

  // The streaming job's last two hours, a point a minute (gaps where it wrote nothing).
  async function liveChart(section) {
    const query = new URLSearchParams({ minutes: "120" });
    heading(section, ["live"], new URLSearchParams()); // its CSV holds the same two hours
    const body = await get("site/live", query);
    const datasets = Object.entries(body.series).map(([name, values], i) => dataset(section, name, values, i));
    draw(section, body.labels.map((label) => label.slice(11, 16)), datasets);
  }

  function draw(section, labels, datasets) {
    let box = section.querySelector(".canvas-box");
    if (!box) {
      box = document.createElement("div");
      box.className = "canvas-box";
      const canvas = document.createElement("canvas");
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", section.dataset.title);
      box.append(canvas);
      section.append(box);
    }
    const data = { labels, datasets };
    const key = section.dataset.chart;
    if (charts[key]) {
      charts[key].data = data;
      charts[key].options.plugins.legend.display = datasets.length > 1;
      charts[key].update();
      return;
    }
    charts[key] = new window.Chart(box.querySelector("canvas"), {
      type: "line",
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, stacked: "stacked" in section.dataset } },
        plugins: { legend: { display: datasets.length > 1 } },
      },
    });
  }

  function table(section, header, rows, cellClass) {
    const element = document.createElement("table");
    const head = element.createTHead().insertRow();
    for (const text of header) {
      const th = document.createElement("th");
      th.textContent = text;
      head.append(th);
    }
    const body = element.createTBody();
    for (const row of rows) {
      const tr = body.insertRow();
      row.forEach((value, i) => {
        const td = tr.insertCell();
        td.textContent = value;
        if (cellClass && i > 0) cellClass(td, value);
      });
    }
    if (!rows.length) {
      const td = body.insertRow().insertCell();
      td.colSpan = header.length;
      td.className = "empty";
      td.textContent = "No data for these days.";
    }
    section.querySelector("table")?.remove();
    section.append(element);
  }

  async function heatmap(section, query) {
    heading(section, ["heatmap"], query);
    const grid = (await get("site/heatmap", query)).grid;
    const peak = Math.max(1, ...grid.flat());
    const hours = Array.from({ length: 24 }, (_, h) => String(h));
    table(section, ["", ...hours], grid.map((row, d) => [WEEKDAYS[d], ...row]), (td, value) => {
      td.className = "heat";
      td.style.backgroundColor = "rgba(47, 111, 222, " + (value / peak).toFixed(2) + ")";
      td.style.color = value / peak > 0.55 ? "#fff" : "";
    });
  }

  async function topChannels(section, query) {
    heading(section, ["top-channels"], query);
    const channels = (await get("site/top-channels", query)).channels;
    table(section, ["Channel", "Messages"], channels.map((c) => [c.title || c.conversation_id, c.messages.toLocaleString()]));
  }

  async function retention(section, query) {
    heading(section, ["retention"], query);
    const cohorts = (await get("site/retention", query)).cohorts;
    const weeks = cohorts.length ? cohorts[0].retained.length : 0;
    const header = ["Signup week", "Users", ...Array.from({ length: weeks }, (_, k) => "W" + k)];
    table(section, header, cohorts.map((c) => [c.cohort, c.users, ...c.retained.map((r) => Math.round(r * 100) + "%")]));
  }

  const TABLES = { heatmap, "top-channels": topChannels, retention };

  async function load(event) {
    if (event) event.preventDefault();
    const mine = ++generation;
    const query = params();
    status.className = "status";
    status.textContent = "Loading…";
    try {
      const jobs = [tiles(query)];
      for (const section of document.querySelectorAll("[data-chart]")) {
        jobs.push(section.dataset.chart === "live" ? liveChart(section) : lineChart(section, query));
      }
      for (const section of document.querySelectorAll("[data-table]")) jobs.push(TABLES[section.dataset.table](section, query));
      await Promise.all(jobs);
      if (mine !== generation) return;
      status.textContent = "Days " + query.get("from") + " to " + query.get("to") + " (UTC).";
      document.body.dataset.ready = "true";
    } catch (error) {
      if (error instanceof Superseded || mine !== generation) return;
      status.className = "status error";
      status.textContent = "Could not load: " + error.message;
    }
  }

  defaults();
  form.addEventListener("submit", load);
  load();
})();

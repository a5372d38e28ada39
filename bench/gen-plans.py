#!/usr/bin/env python3
"""Writes N plan files forming one directory plan: a shared file with variables and the
token source, and N-1 files of four realistic scenes each (two concurrency, two RPS)."""
import os
import sys

n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
common = """version: 1
workspace: bench
variables:
  backend: http://127.0.0.1:18080
  appid: wx0000000000000000
token_sources:
  wechat:
    kind: api
    request:
      method: POST
      url: ${var.backend}/cgi-bin/token
      body:
        json: { appid: "${var.appid}", secret: "${secret.WX_APP_SECRET}" }
    exports: { access_token: access_token }
    ttl: 2h
    refresh: { policy: before_expiry, margin: 5m }
"""
open(os.path.join(out, "000-common.yaml"), "w").write(common)
scene = """  order-{i}:
    name: order-{i}
    type: single-api
    chains:
      - name: buyer
        token: wechat
        steps:
          - name: create
            method: POST
            url: ${{var.backend}}/api/orders?batch={i}
            headers: {{ Authorization: "Bearer ${{access_token}}" }}
            body: {{ json: {{ sku: "SKU-{i}", quantity: 1 }} }}
            extract: {{ order_id: {{ from: body_json, path: data.order_id }} }}
            checks:
              - {{ on: status_code, value: 201 }}
              - {{ on: extracted, name: order_id, op: exists }}
    load: {{ mode: concurrency, start: 10, max: 100, ramp: {{ step_percent: 20, every: 1m }}, duration: 10m }}
    thresholds: [ "p99 < 300ms", "success_rate >= 99.9%" ]
  browse-{i}:
    name: browse-{i}
    type: mixed
    globals: {{ channel: wechat }}
    chains:
      - name: browse
        token: wechat
        steps:
          - name: list
            url: ${{var.backend}}/api/items?page=1&channel=${{channel}}
            headers: {{ Authorization: "Bearer ${{access_token}}" }}
            extract: {{ item: {{ from: body_json, path: "data.items[0].id" }} }}
            checks: [ {{ on: status_code, value: 200 }} ]
          - name: detail
            url: ${{var.backend}}/api/items/${{item}}
            headers: {{ Authorization: "Bearer ${{access_token}}" }}
            checks: [ {{ on: body_text, op: contains, value: '"id"' }} ]
    load:
      mode: rps
      duration: 5m
      steps: {{ browse: {{ list: {{ start: 50, max: 200 }}, detail: {{ start: 50, max: 150 }} }} }}
"""
for f in range(1, n):
    body = "version: 1\nworkspace: bench\nscenes:\n" + scene.format(i=2 * f) + scene.format(i=2 * f + 1).replace("  order-", "  order-", 1)
    open(os.path.join(out, f"{f:03}.yaml"), "w").write(body)

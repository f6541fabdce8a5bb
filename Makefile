# Dealer Mall — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
SANDBOX_PORT ?= 5001
FLASK := $(BIN)/flask --app app

.PHONY: run dev test lint format install migrate seed clean sandbox bench bench-stack worker prod-check

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# The sandbox's WeChat Pay keys (merchant's and WeChat Pay's), made once in instance/wechatpay/.
PAY_KEYS := instance/wechatpay/apiv3_key
$(PAY_KEYS): | install
	$(BIN)/python -m devkit.pay_keys instance/wechatpay

migrate: install $(PAY_KEYS)
	$(FLASK) db-upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

# The sandbox (WeChat, the online platforms, waybills) and the worker run beside the app and
# stop with it. The sandbox keeps everything in memory: once it answers, `tell-sandbox` gives
# its platforms and WeChat Pay the orders and payments the database already has (the demo's).
BESIDE_THE_APP = export WECHAT_API_BASE_URL=http://127.0.0.1:$(SANDBOX_PORT); \
	export SHOP_API_BASE_URL=http://127.0.0.1:$(SANDBOX_PORT); \
	export WAYBILL_API_BASE_URL=http://127.0.0.1:$(SANDBOX_PORT); \
	export SMS_PROVIDER=$${SMS_PROVIDER:-tencent} SMS_ENDPOINT=127.0.0.1:$(SANDBOX_PORT); \
	export WECHATPAY_NOTIFY_URL=http://$(HOST):$(PORT)/api/pay/wechatpay/notify; \
	$(BIN)/python -m devkit.sandbox --port $(SANDBOX_PORT) & sandbox=$$!; \
	$(BIN)/huey_consumer app.worker.huey --workers 2 --worker-type thread --quiet & worker=$$!; \
	trap 'kill $$sandbox $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) tell-sandbox;

# Served as deployed: gunicorn with gunicorn.conf.py, one worker of a few threads on SQLite (WAL).
run: seed
	$(BESIDE_THE_APP) WEB_CONCURRENCY=1 WEB_THREADS=4 BIND=$(HOST):$(PORT) $(BIN)/gunicorn 'app:create_app()'

# For contributors: Flask's development server, reloading on every change.
dev: seed
	$(BESIDE_THE_APP) $(FLASK) run --debug --host $(HOST) --port $(PORT)

# Delivers notifications (huey consumer): SqliteHuey in instance/, or RedisHuey with REDIS_URL.
worker: migrate
	$(BIN)/huey_consumer app.worker.huey --workers 2 --worker-type thread

sandbox: install $(PAY_KEYS)
	$(BIN)/python -m devkit.sandbox --port $(SANDBOX_PORT)

bench: install
	$(BIN)/python -m bench.core_approvals
	$(BIN)/python -m bench.orders
	$(BIN)/python -m bench.reports
	$(BIN)/python -m bench.profit
	$(BIN)/python -m bench.promotions

bench-stack: install
	$(BIN)/python -m bench.stack
	$(BIN)/python -m bench.fair

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The production recipe (deploy/) on this machine, from Debian's packages: nginx with TLS, two app
# nodes, PgBouncer, PostgreSQL with a streaming replica, Redis, two task workers; a smoke suite
# through nginx over HTTPS; everything torn down after (docs/deploy.md).
prod-check: install
	$(BIN)/pytest -p no:cacheprovider -p devkit.testing.stack devkit/prodcheck $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

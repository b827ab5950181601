# Case Viewer: the two commands a newcomer needs.
#   make demo   builds and runs the app against an embedded demo station
#   make test   installs the test tools and runs every check CI runs
SHELL := /bin/sh
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BUILD_DEPS := gcc libgl1-mesa-dev xorg-dev
# The demo also runs a throwaway keyring (gnome-keyring) in a private D-Bus session.
DEMO_DEPS := $(BUILD_DEPS) gnome-keyring dbus-x11
TEST_DEPS := $(BUILD_DEPS) xvfb xdotool gnome-keyring dbus-x11 libsecret-tools imagemagick x11-apps \
	iproute2 poppler-utils mupdf-tools gcc-mingw-w64-x86-64
# Tests' artifacts (the end-to-end run's screenshots) are kept in test-output/.
GOTEST_FLAGS ?= -timeout 30m -artifacts -outputdir $(CURDIR)/test-output

.PHONY: demo test deps test-deps vet fmt-check staticcheck gotest build windows

demo: deps
	@./scripts/demo.sh

test: test-deps vet fmt-check staticcheck gotest windows

# The demo never fails for want of packages: install-deps then says what to install.
deps:
	@INSTALL_DEPS_SOFT=1 ./scripts/install-deps.sh $(DEMO_DEPS)

test-deps:
	@./scripts/install-deps.sh $(TEST_DEPS)

build:
	$(GO) build ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

staticcheck:
	$(GO) run $(STATICCHECK) ./...

gotest:
	@mkdir -p test-output
	./scripts/with-test-env.sh $(GO) test $(GOTEST_FLAGS) ./...

# The app must build for Windows department laptops too (cgo with MinGW).
windows:
	@if [ -d cmd/caseviewer ]; then \
		echo "building cmd/caseviewer for windows/amd64"; \
		CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc GOOS=windows GOARCH=amd64 \
			$(GO) build -o /dev/null ./cmd/caseviewer; \
	fi

# harden in a container: a Debian 12 build stage with the -dev packages, and a
# small runtime stage with only the shared libraries, running as a non-root
# user. See compose.yaml for how to run it on the current directory.
FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake libyaml-cpp-dev libyaml-dev libcli11-dev libdtl-dev libfmt-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /tmp/build -DCMAKE_BUILD_TYPE=Release -DHARDEN_TESTS=OFF \
 && cmake --build /tmp/build -j"$(nproc)" \
 && cmake --install /tmp/build --prefix /opt/harden --strip

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libyaml-cpp0.7 libfmt9 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin harden
COPY --from=build /opt/harden/bin/harden /usr/local/bin/harden
COPY --from=build /opt/harden/share/man/man1/harden.1 /usr/local/share/man/man1/harden.1
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["harden"]
CMD ["--help"]

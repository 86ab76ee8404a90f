/*
 * world.h - test helpers: write a policy world into a private temporary
 * folder, load it, and decide against it.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#ifndef SMP_TEST_WORLD_H
#define SMP_TEST_WORLD_H

#include "smpolicy.h"
#include "suites.h"

#include <CUnit/CUnit.h>
#include <stdbool.h>

/* The settings and catalogues every unit test starts from; extra_settings
 * is pasted into the settings group. */
#define WORLD_CONF_FMT \
	"version = 1;\n" \
	"settings = { records = [ \"records.conf\" ]; max_approved_per_office = 2;\n" \
	"  warn_days = 14; long_term_max_days = 365; %s };\n" \
	"platforms = (\n" \
	"  { id = \"facebook\"; name = \"Facebook\"; },\n" \
	"  { id = \"youtube\"; name = \"YouTube\"; private_messaging = false; },\n" \
	"  { id = \"snapchat\"; name = \"Snap Chat\"; mobile_only = true; }\n" \
	");\n" \
	"offices = (\n" \
	"  { id = \"o1\"; name = \"Office One\"; kind = \"local\"; },\n" \
	"  { id = \"o2\"; name = \"Office Two\"; kind = \"area\"; }\n" \
	");\n"

/* Staff, devices and accounts; approvals are added per test. */
#define WORLD_PEOPLE \
	"staff = (\n" \
	"  { id = \"dir-cpp\"; office = \"o2\"; roles = [ \"director_cpp\" ]; },\n" \
	"  { id = \"dir-it\"; office = \"o2\"; roles = [ \"director_it\" ]; },\n" \
	"  { id = \"lom1\"; office = \"o1\"; roles = [ \"local_office_manager\" ]; },\n" \
	"  { id = \"lom2\"; office = \"o2\"; roles = [ \"local_office_manager\" ]; },\n" \
	"  { id = \"sup1\"; office = \"o1\"; roles = [ \"supervisor\" ]; },\n" \
	"  { id = \"w1\"; office = \"o1\"; roles = [ \"worker\" ]; supervisor = \"sup1\"; },\n" \
	"  { id = \"w2\"; office = \"o1\"; roles = [ \"worker\" ]; supervisor = \"sup1\"; },\n" \
	"  { id = \"w3\"; office = \"o1\"; roles = [ \"worker\" ]; supervisor = \"sup1\"; },\n" \
	"  { id = \"w4\"; office = \"o1\"; roles = [ \"worker\" ]; supervisor = \"sup1\"; },\n" \
	"  { id = \"w9\"; office = \"o2\"; roles = [ \"worker\" ]; }\n" \
	");\n" \
	"devices = (\n" \
	"  { id = \"ws1\"; kind = \"workstation\"; owner = \"dcf\"; office = \"o1\"; },\n" \
	"  { id = \"ph1\"; kind = \"mobile\"; owner = \"dcf\"; office = \"o1\"; apps = [ \"snapchat\" ]; },\n" \
	"  { id = \"ph2\"; kind = \"mobile\"; owner = \"dcf\"; office = \"o1\"; },\n" \
	"  { id = \"home\"; kind = \"workstation\"; owner = \"personal\"; },\n" \
	"  { id = \"myphone\"; kind = \"mobile\"; owner = \"personal\"; apps = [ \"snapchat\" ]; }\n" \
	");\n" \
	"accounts = (\n" \
	"  { id = \"fb1\"; platform = \"facebook\"; holder = \"w1\"; official = true; supervisor = \"sup1\";\n" \
	"    password_changed = \"2026-01-01Z\"; password_escrowed = \"2026-01-01Z\"; },\n" \
	"  { id = \"fb-personal\"; platform = \"facebook\"; holder = \"w1\"; official = false;\n" \
	"    password_escrowed = \"2026-01-01Z\"; },\n" \
	"  { id = \"yt1\"; platform = \"youtube\"; holder = \"w1\"; official = true;\n" \
	"    password_escrowed = \"2026-01-01Z\"; },\n" \
	"  { id = \"sc1\"; platform = \"snapchat\"; holder = \"w1\"; official = true;\n" \
	"    password_escrowed = \"2026-01-01Z\"; },\n" \
	"  { id = \"fb2\"; platform = \"facebook\"; holder = \"w2\"; official = true;\n" \
	"    password_escrowed = \"2026-01-01Z\"; },\n" \
	"  { id = \"fb-pi\"; platform = \"facebook\"; holder = \"w1\"; official = true; personal_info = true;\n" \
	"    password_escrowed = \"2026-01-01Z\"; },\n" \
	"  { id = \"fb-noesc\"; platform = \"facebook\"; holder = \"w1\"; official = true; },\n" \
	"  { id = \"fb-late\"; platform = \"facebook\"; holder = \"w1\"; official = true;\n" \
	"    password_escrowed = \"2026-03-01T12:00Z\"; },\n" \
	"  { id = \"fb-chg\"; platform = \"facebook\"; holder = \"w1\"; official = true;\n" \
	"    password_escrowed = \"2026-01-01Z\"; password_changed = \"2026-04-01T08:00Z\"; },\n" \
	"  { id = \"fb-comp\"; platform = \"facebook\"; holder = \"w1\"; official = true;\n" \
	"    password_escrowed = \"2026-01-01Z\";\n" \
	"    compromised = { reported = \"2026-05-01T10:00Z\"; resolved = \"2026-05-03T10:00Z\"; }; }\n" \
	");\n"

/* A valid long-term approval for w1 on facebook, 2026-01-15 .. 2026-12-31 UTC. */
#define APPROVAL_W1_FB \
	"  { id = \"LT-1\"; staff = \"w1\"; kind = \"long_term\"; platforms = [ \"facebook\", \"youtube\", \"snapchat\" ];\n" \
	"    requested_by = \"lom1\"; requested = \"2026-01-10Z\";\n" \
	"    approved_cpp = { by = \"dir-cpp\"; on = \"2026-01-12Z\"; };\n" \
	"    approved_it = { by = \"dir-it\"; on = \"2026-01-14Z\"; };\n" \
	"    starts = \"2026-01-15Z\"; expires = \"2026-12-31T23:59:59Z\"; }"

struct world {
	char dir[64];
	char conf[128];
	char records[128];
};

/* Write smpolicy.conf (extra settings pasted in) and records.conf
 * (WORLD_PEOPLE + "approvals = ( approvals );" unless records_all is set,
 * in which case it is written as is).  CU_FAIL on error. */
bool world_write(struct world *w, const char *extra_settings, const char *approvals);
bool world_write_raw(struct world *w, const char *conf, const char *records);
void world_remove(struct world *w);

/* Load the world; NULL (and CU assertion failure) on error. */
smp_policy *world_load(struct world *w);

/* Parse a time or fail the test. */
int64_t T(const char *text);

/* Decide; returns the decision (never NULL: CU_FAIL and abort the test run
 * otherwise). */
smp_decision *decide(const smp_policy *p, const char *user, const char *platform,
                     const char *device, const char *account, smp_action action,
                     const char *at);
bool has_reason(const smp_decision *d, smp_reason r);
/* True if d is a DENY whose reasons are exactly the given one. */
bool denied_only_by(const smp_decision *d, smp_reason r);

#endif

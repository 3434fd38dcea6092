/* A headless OBS for tests: real libobs + its Python scripting host, driven over stdin.
 *
 * Each stdin line is one JSON command ({"cmd": ..., ...}); each reply is a JSON object
 * followed by a line "<<<END>>>" on stdout. libobs logs go to stderr. The graphics thread
 * runs (libobs-opengl on Xvfb), so script timers tick exactly as in OBS itself.
 */
#include <Python.h>
#include <obs.h>
#include <obs-nix-platform.h>
#include <obs-frontend-api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *XOpenDisplay(const char *name);

/* libobs-scripting.so ships no header: its few entry points, as in obs-scripting.h. */
typedef struct obs_script obs_script_t;
bool obs_scripting_load(void);
void obs_scripting_unload(void);
bool obs_scripting_python_loaded(void);
obs_script_t *obs_script_create(const char *path, obs_data_t *settings);
void obs_script_destroy(obs_script_t *script);
const char *obs_script_get_description(const obs_script_t *script);
bool obs_script_loaded(const obs_script_t *script);
bool obs_script_reload(obs_script_t *script);
obs_properties_t *obs_script_get_properties(obs_script_t *script);
obs_data_t *obs_script_save(obs_script_t *script);
void obs_script_update(obs_script_t *script, obs_data_t *settings);

/* --- a stand-in OBS window -----------------------------------------------------------
 * libobs-frontend-api forwards each obs_frontend_* call to a C++ object's virtual method.
 * Its header is not shipped, so the object is a table of function pointers at the slots
 * OBS 29's libobs-frontend-api.so calls (read from its code: the offset / 8). Only what the
 * script uses answers; every other slot answers 0 (no window, no output, false).
 */
#define SLOT_GET_SCENES 5           /* 0x28  */
#define SLOT_GET_CURRENT_SCENE 6    /* 0x30  */
#define SLOT_ADD_EVENT_CB 43        /* 0x158 */
#define SLOT_REMOVE_EVENT_CB 44     /* 0x160 */
#define SLOT_GET_RECORDING_OUTPUT 46 /* 0x170 */
#define SLOT_GET_PROFILE_CONFIG 48  /* 0x180 */
#define SLOT_GET_LAST_RECORDING 87  /* 0x2b8 */
#define SLOTS 160

void set_frontend_callbacks(void *callbacks)
	__asm__("_Z35obs_frontend_set_callbacks_internalP22obs_frontend_callbacks");

struct fake_frontend {
	void **vtable;
};
struct event_cb {
	obs_frontend_event_cb cb;
	void *data;
};
static void *frontend_vtable[SLOTS];
static struct fake_frontend frontend = {frontend_vtable};
static struct event_cb event_cbs[64];
static size_t event_cb_count;
static obs_source_t *current_scene;
static char last_recording[4096];
static obs_output_t *recording_output;
static bool frontend_on;

static long fe_nothing(void) { return 0; }

static void fe_get_scenes(void *self, struct obs_frontend_source_list *list)
{
	(void)self;
	if (current_scene) {
		obs_source_t *ref = obs_source_get_ref(current_scene);
		da_push_back(list->sources, &ref);
	}
}

static obs_source_t *fe_get_current_scene(void *self)
{
	(void)self;
	return current_scene ? obs_source_get_ref(current_scene) : NULL;
}

static void fe_add_event_cb(void *self, obs_frontend_event_cb cb, void *data)
{
	(void)self;
	if (event_cb_count < 64)
		event_cbs[event_cb_count++] = (struct event_cb){cb, data};
}

static void fe_remove_event_cb(void *self, obs_frontend_event_cb cb, void *data)
{
	(void)self;
	for (size_t i = 0; i < event_cb_count; i++) {
		if (event_cbs[i].cb == cb && event_cbs[i].data == data) {
			event_cbs[i] = event_cbs[--event_cb_count];
			return;
		}
	}
}

static void *fe_get_profile_config(void *self) { return self; }

static obs_output_t *fe_get_recording_output(void *self)
{
	(void)self;
	return recording_output ? obs_output_get_ref(recording_output) : NULL;
}

static char *fe_get_last_recording(void *self)
{
	(void)self;
	return last_recording[0] ? bstrdup(last_recording) : NULL;
}

static void install_frontend(obs_source_t *scene)
{
	for (size_t i = 0; i < SLOTS; i++)
		frontend_vtable[i] = (void *)fe_nothing;
	frontend_vtable[SLOT_GET_SCENES] = (void *)fe_get_scenes;
	frontend_vtable[SLOT_GET_CURRENT_SCENE] = (void *)fe_get_current_scene;
	frontend_vtable[SLOT_ADD_EVENT_CB] = (void *)fe_add_event_cb;
	frontend_vtable[SLOT_REMOVE_EVENT_CB] = (void *)fe_remove_event_cb;
	frontend_vtable[SLOT_GET_PROFILE_CONFIG] = (void *)fe_get_profile_config;
	frontend_vtable[SLOT_GET_RECORDING_OUTPUT] = (void *)fe_get_recording_output;
	frontend_vtable[SLOT_GET_LAST_RECORDING] = (void *)fe_get_last_recording;
	current_scene = scene;
	set_frontend_callbacks(&frontend);
	frontend_on = true;
}

/* Send an event the way OBS's window does: to every callback, on this (the UI) thread. */
static void send_event(enum obs_frontend_event event)
{
	struct event_cb copy[64];
	size_t n = event_cb_count;
	memcpy(copy, event_cbs, n * sizeof *copy);
	for (size_t i = 0; i < n; i++)
		copy[i].cb(event, copy[i].data);
}

#define PLUGINS "/usr/lib/x86_64-linux-gnu/obs-plugins/"
#define PLUGIN_DATA "/usr/share/obs/obs-plugins/"

static obs_script_t *script;
static obs_properties_t *page; /* the Scripts window's page while it is open */
static obs_source_t *scenes[16];
static size_t scene_count;

static void log_handler(int lvl, const char *fmt, va_list args, void *p)
{
	(void)p;
	fprintf(stderr, "[%d] ", lvl);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

static void reply(obs_data_t *r)
{
	fputs(obs_data_get_json(r), stdout);
	fputs("\n<<<END>>>\n", stdout);
	fflush(stdout);
	obs_data_release(r);
}

static obs_data_t *ok(void)
{
	obs_data_t *r = obs_data_create();
	obs_data_set_bool(r, "ok", true);
	return r;
}

static obs_data_t *fail(const char *msg)
{
	obs_data_t *r = obs_data_create();
	obs_data_set_bool(r, "ok", false);
	obs_data_set_string(r, "error", msg);
	return r;
}

static bool load_module(const char *name)
{
	char bin[512], data[512];
	obs_module_t *mod = NULL;
	snprintf(bin, sizeof bin, PLUGINS "%s.so", name);
	snprintf(data, sizeof data, PLUGIN_DATA "%s", name);
	if (obs_open_module(&mod, bin, data) != MODULE_SUCCESS)
		return false;
	return obs_init_module(mod);
}

static bool start_obs(void)
{
	obs_set_nix_platform(OBS_NIX_PLATFORM_X11_EGL);
	obs_set_nix_platform_display(XOpenDisplay(NULL));
	if (!obs_startup("en-US", NULL, NULL))
		return false;

	struct obs_video_info ovi = {0};
	ovi.graphics_module = "libobs-opengl";
	ovi.fps_num = 30;
	ovi.fps_den = 1;
	ovi.base_width = ovi.output_width = 320;
	ovi.base_height = ovi.output_height = 180;
	ovi.output_format = VIDEO_FORMAT_NV12;
	ovi.colorspace = VIDEO_CS_709;
	ovi.range = VIDEO_RANGE_PARTIAL;
	ovi.scale_type = OBS_SCALE_BICUBIC;
	ovi.gpu_conversion = true;
	if (obs_reset_video(&ovi) != OBS_VIDEO_SUCCESS)
		return false;

	struct obs_audio_info oai = {.samples_per_sec = 48000,
				     .speakers = SPEAKERS_STEREO};
	if (!obs_reset_audio(&oai))
		return false;
	if (!load_module("obs-ffmpeg") || !load_module("obs-filters"))
		return false;
	obs_post_load_modules();
	return obs_scripting_load();
}

/* --- introspection ------------------------------------------------------------------ */

static void dump_props(obs_properties_t *props, obs_data_array_t *out)
{
	for (obs_property_t *p = obs_properties_first(props); p; obs_property_next(&p)) {
		obs_data_t *d = obs_data_create();
		enum obs_property_type type = obs_property_get_type(p);
		obs_data_set_string(d, "name", obs_property_name(p));
		obs_data_set_string(d, "description", obs_property_description(p));
		const char *tip = obs_property_long_description(p);
		obs_data_set_string(d, "long_description", tip ? tip : "");
		obs_data_set_int(d, "type", type);
		obs_data_set_bool(d, "visible", obs_property_visible(p));
		obs_data_set_bool(d, "enabled", obs_property_enabled(p));
		if (type == OBS_PROPERTY_TEXT) {
			obs_data_set_int(d, "text_type", obs_property_text_type(p));
			obs_data_set_int(d, "info_type", obs_property_text_info_type(p));
		}
		if (type == OBS_PROPERTY_LIST) {
			obs_data_array_t *items = obs_data_array_create();
			for (size_t i = 0; i < obs_property_list_item_count(p); i++) {
				obs_data_t *it = obs_data_create();
				obs_data_set_string(it, "name", obs_property_list_item_name(p, i));
				if (obs_property_list_format(p) == OBS_COMBO_FORMAT_STRING)
					obs_data_set_string(it, "value",
							    obs_property_list_item_string(p, i));
				obs_data_array_push_back(items, it);
				obs_data_release(it);
			}
			obs_data_set_array(d, "items", items);
			obs_data_array_release(items);
		}
		if (type == OBS_PROPERTY_GROUP) {
			obs_data_array_t *children = obs_data_array_create();
			dump_props(obs_property_group_content(p), children);
			obs_data_set_array(d, "children", children);
			obs_data_array_release(children);
		}
		obs_data_array_push_back(out, d);
		obs_data_release(d);
	}
}

static void add_filter(obs_source_t *parent, obs_source_t *filter, void *param)
{
	(void)parent;
	obs_data_t *f = obs_data_create();
	obs_data_t *settings = obs_source_get_settings(filter);
	obs_data_set_string(f, "name", obs_source_get_name(filter));
	obs_data_set_string(f, "id", obs_source_get_id(filter));
	obs_data_set_bool(f, "enabled", obs_source_enabled(filter));
	obs_data_set_obj(f, "settings", settings);
	obs_data_array_push_back(param, f);
	obs_data_release(settings);
	obs_data_release(f);
}

static bool add_item(obs_scene_t *scene, obs_sceneitem_t *item, void *param)
{
	(void)scene;
	obs_data_t *i = obs_data_create();
	obs_data_set_string(i, "source", obs_source_get_name(obs_sceneitem_get_source(item)));
	obs_data_set_bool(i, "visible", obs_sceneitem_visible(item));
	obs_data_set_bool(i, "selected", obs_sceneitem_selected(item));
	obs_data_array_push_back(param, i);
	obs_data_release(i);
	return true;
}

static bool add_source(void *param, obs_source_t *src)
{
	obs_data_t *s = obs_data_create();
	obs_data_t *settings = obs_source_get_settings(src);
	obs_data_array_t *filters = obs_data_array_create();
	obs_data_set_string(s, "name", obs_source_get_name(src));
	obs_data_set_string(s, "id", obs_source_get_id(src));
	obs_data_set_bool(s, "muted", obs_source_muted(src));
	obs_data_set_int(s, "media_state", obs_source_media_get_state(src));
	obs_data_set_int(s, "media_duration", obs_source_media_get_duration(src));
	obs_data_set_obj(s, "settings", settings);
	obs_source_enum_filters(src, add_filter, filters);
	obs_data_set_array(s, "filters", filters);
	obs_scene_t *scene = obs_scene_from_source(src);
	if (scene) {
		obs_data_array_t *items = obs_data_array_create();
		obs_scene_enum_items(scene, add_item, items);
		obs_data_set_array(s, "items", items);
		obs_data_array_release(items);
	}
	obs_data_array_push_back(param, s);
	obs_data_array_release(filters);
	obs_data_release(settings);
	obs_data_release(s);
	return true;
}

/* --- commands ----------------------------------------------------------------------- */

static obs_data_t *cmd_py(const char *code)
{
	PyGILState_STATE gil = PyGILState_Ensure();
	PyObject *main = PyImport_AddModule("__main__");
	PyObject_SetAttrString(main, "reply", Py_None);
	int rc = PyRun_SimpleString(code);
	PyObject *val = PyObject_GetAttrString(main, "reply");
	obs_data_t *r = rc == 0 ? ok() : fail("python code raised (see stderr)");
	if (val && val != Py_None) {
		PyObject *s = PyObject_Str(val);
		if (s)
			obs_data_set_string(r, "reply", PyUnicode_AsUTF8(s));
		Py_XDECREF(s);
	}
	Py_XDECREF(val);
	PyErr_Clear();
	PyGILState_Release(gil);
	return r;
}

static obs_data_t *cmd_click(const char *name)
{
	obs_properties_t *props = obs_script_get_properties(script);
	obs_property_t *p = obs_properties_get(props, name);
	obs_data_t *r;
	if (!p || obs_property_get_type(p) != OBS_PROPERTY_BUTTON) {
		r = fail("no such button");
	} else {
		r = ok();
		obs_data_set_bool(r, "refresh", obs_property_button_clicked(p, script));
	}
	obs_properties_destroy(props);
	return r;
}

static obs_data_t *props_reply(obs_properties_t *props)
{
	obs_data_array_t *list = obs_data_array_create();
	dump_props(props, list);
	obs_data_t *r = ok();
	obs_data_set_array(r, "props", list);
	obs_data_array_release(list);
	return r;
}

static void page_close(void)
{
	if (page)
		obs_properties_destroy(page);
	page = NULL;
}

/* As OBS 29's Scripts window: the page is built once when it opens; a button that returns
 * true makes the window redraw from those same properties (RefreshProperties), without
 * asking the script for new ones. */
static obs_data_t *cmd_page_click(const char *name)
{
	obs_property_t *p = page ? obs_properties_get(page, name) : NULL;
	if (!p || obs_property_get_type(p) != OBS_PROPERTY_BUTTON)
		return fail(page ? "no such button on the page" : "the page is not open");
	bool redraw = obs_property_button_clicked(p, script);
	obs_data_t *r = props_reply(page);
	obs_data_set_bool(r, "refresh", redraw);
	return r;
}

static obs_data_t *cmd_source_create(obs_data_t *c)
{
	obs_data_t *settings = obs_data_get_obj(c, "settings");
	obs_source_t *src = obs_source_create(obs_data_get_string(c, "id"),
					      obs_data_get_string(c, "name"), settings, NULL);
	obs_data_release(settings);
	if (!src)
		return fail("source not created");
	obs_source_t *scene_src = obs_get_source_by_name(obs_data_get_string(c, "scene"));
	obs_scene_t *scene = obs_scene_from_source(scene_src);
	if (scene) {
		obs_sceneitem_t *item = obs_scene_add(scene, src);
		obs_sceneitem_select(item, obs_data_get_bool(c, "selected"));
	}
	obs_source_release(scene_src);
	obs_source_release(src);
	return ok();
}

static obs_data_t *dispatch(obs_data_t *c)
{
	const char *cmd = obs_data_get_string(c, "cmd");
	if (!strcmp(cmd, "load")) {
		obs_data_t *settings = obs_data_get_obj(c, "settings");
		script = obs_script_create(obs_data_get_string(c, "path"), settings);
		obs_data_release(settings);
		obs_data_t *r = script ? ok() : fail("obs_script_create failed");
		if (script) {
			obs_data_set_bool(r, "loaded", obs_script_loaded(script));
			obs_data_set_string(r, "description", obs_script_get_description(script));
		}
		return r;
	}
	if (!strcmp(cmd, "py"))
		return cmd_py(obs_data_get_string(c, "code"));
	if (!strcmp(cmd, "sleep")) {
		usleep((useconds_t)obs_data_get_int(c, "ms") * 1000);
		return ok();
	}
	if (!strcmp(cmd, "scene_create")) {
		obs_scene_t *scene = obs_scene_create(obs_data_get_string(c, "name"));
		obs_source_t *src = obs_scene_get_source(scene);
		if (obs_data_get_bool(c, "program"))
			obs_set_output_source(0, src);
		if (scene_count < 16)
			scenes[scene_count++] = src;
		return ok();
	}
	if (!strcmp(cmd, "frontend")) {
		if (!scene_count)
			return fail("create a scene first");
		if (strncmp(obs_get_version_string(), "29.", 3) != 0)
			return fail("the stand-in window knows OBS 29's slots only");
		install_frontend(scenes[0]);
		return ok();
	}
	if (!strcmp(cmd, "recording_stopped")) {
		if (!frontend_on)
			return fail("no frontend installed");
		/* as OBS's recording: a file output whose settings hold the path */
		const char *path = obs_data_get_string(c, "path");
		snprintf(last_recording, sizeof last_recording, "%s", path);
		obs_data_t *settings = obs_data_create();
		obs_data_set_string(settings, "path", path);
		if (!recording_output)
			recording_output = obs_output_create("ffmpeg_muxer", "simple_file_output",
							     settings, NULL);
		else
			obs_output_update(recording_output, settings);
		obs_data_release(settings);
		send_event(OBS_FRONTEND_EVENT_RECORDING_STOPPED);
		return ok();
	}
	if (!strcmp(cmd, "source_create"))
		return cmd_source_create(c);
	if (!strcmp(cmd, "dump")) {
		obs_data_t *r = ok();
		obs_data_array_t *list = obs_data_array_create();
		obs_enum_sources(add_source, list);
		obs_enum_scenes(add_source, list);
		obs_data_set_array(r, "sources", list);
		obs_data_array_release(list);
		return r;
	}
	if (!script)
		return fail("no script loaded");
	if (!strcmp(cmd, "update")) {
		obs_data_t *settings = obs_data_get_obj(c, "settings");
		obs_script_update(script, settings);
		obs_data_release(settings);
		return ok();
	}
	if (!strcmp(cmd, "click"))
		return cmd_click(obs_data_get_string(c, "name"));
	if (!strcmp(cmd, "props")) {
		obs_properties_t *props = obs_script_get_properties(script);
		obs_data_t *r = props_reply(props);
		obs_properties_destroy(props);
		return r;
	}
	if (!strcmp(cmd, "page_open")) {
		page_close();
		page = obs_script_get_properties(script);
		return props_reply(page);
	}
	if (!strcmp(cmd, "page_click"))
		return cmd_page_click(obs_data_get_string(c, "name"));
	if (!strcmp(cmd, "page_close")) {
		page_close();
		return ok();
	}
	if (!strcmp(cmd, "save")) {
		obs_data_t *saved = obs_script_save(script);
		obs_data_t *r = ok();
		obs_data_set_obj(r, "settings", saved);
		obs_data_release(saved);
		return r;
	}
	if (!strcmp(cmd, "reload")) {
		page_close();
		obs_data_t *r = obs_script_reload(script) ? ok() : fail("reload failed");
		return r;
	}
	if (!strcmp(cmd, "unload")) {
		page_close();
		obs_script_destroy(script);
		script = NULL;
		return ok();
	}
	return fail("unknown command");
}

int main(void)
{
	base_set_log_handler(log_handler, NULL);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (!start_obs()) {
		reply(fail("libobs did not start (is an X display set? run under xvfb-run)"));
		return 1;
	}
	obs_data_t *ready = ok();
	obs_data_set_bool(ready, "python", obs_scripting_python_loaded());
	reply(ready);

	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, stdin) > 0) {
		obs_data_t *c = obs_data_create_from_json(line);
		if (!c) {
			reply(fail("bad json"));
			continue;
		}
		bool quit = !strcmp(obs_data_get_string(c, "cmd"), "quit");
		reply(quit ? ok() : dispatch(c));
		obs_data_release(c);
		if (quit)
			break;
	}
	free(line);
	if (frontend_on) /* OBS's window closing: scripts hear this before they are unloaded */
		send_event(OBS_FRONTEND_EVENT_SCRIPTING_SHUTDOWN);
	page_close();
	if (script)
		obs_script_destroy(script);
	obs_scripting_unload();
	obs_output_release(recording_output);
	obs_set_output_source(0, NULL);
	for (size_t i = 0; i < scene_count; i++)
		obs_source_release(scenes[i]);
	obs_shutdown();
	blog(LOG_INFO, "Number of memory leaks: %ld", bnum_allocs());
	return 0;
}

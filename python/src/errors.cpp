// Library errors become the Python classes of tpulab.errors (one hierarchy mirroring
// common/error.h); each exception carries the library's `problem` and `where`.
#include <exception>
#include <string>

#include "bind.h"
#include "common/error.h"

namespace tpulab::py {

namespace {

void raise(const char* cls, const Error& e, const std::string& field = {}) {
  pyb::object type = pyb::module_::import("tpulab.errors").attr(cls);
  pyb::object exc = type(e.what());
  exc.attr("problem") = e.problem();
  exc.attr("where") = e.where();
  if (!field.empty()) exc.attr("field") = field;
  PyErr_SetObject(type.ptr(), exc.ptr());
}

}  // namespace

void bind_errors(pyb::module_&) {
  pyb::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    // Most derived first.
    try {
      std::rethrow_exception(p);
    } catch (const IoError& e) {
      raise("IoError", e);
    } catch (const ModelError& e) {
      raise("ModelError", e);
    } catch (const FormatError& e) {
      raise("FormatError", e);
    } catch (const FieldError& e) {
      raise("FieldError", e, e.field());
    } catch (const UsageError& e) {
      raise("UsageError", e);
    } catch (const UnsupportedError& e) {
      raise("UnsupportedError", e);
    } catch (const Error& e) {
      raise("Error", e);
    }
  });
}

}  // namespace tpulab::py

// Typed errors with context. Library code throws these; the CLI prints
// "error: <what> (<where>)" and exits 1.
#pragma once

#include <stdexcept>
#include <string>

namespace tpulab {

class Error : public std::runtime_error {
 public:
  // `what` says what is wrong; `where` names the place (a file, an op, a device path).
  Error(const std::string& what, const std::string& where)
      : std::runtime_error(where.empty() ? what : what + " (" + where + ")"),
        what_(what),
        where_(where) {}
  const std::string& problem() const { return what_; }
  const std::string& where() const { return where_; }

 private:
  std::string what_;
  std::string where_;
};

// A file could not be opened, read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

// A model file is malformed or inconsistent. The message starts with the file name,
// as in "model.tflite: tensor 3 uses buffer 99 of 12".
class ModelError : public Error {
 public:
  ModelError(const std::string& file, const std::string& what, const std::string& where = {})
      : Error(file.empty() ? what : file + ": " + what, where) {}
};

// An input file other than a model (plan, platform, profile, trace, table) is malformed: the
// message names the file and the field.
class FormatError : public Error {
 public:
  using Error::Error;
};

// The user asked for something that is not valid (a bad argument value).
class UsageError : public Error {
 public:
  using Error::Error;
};

// An option field the caller set is out of range. `field` is the library's name for it
// ("width", "in_flight"); each front end names it its own way (the CLI as --width and
// --in-flight, Python as the keyword argument), so library messages never name a CLI flag.
class FieldError : public UsageError {
 public:
  FieldError(const std::string& field, const std::string& what) : UsageError(what, field) {}
  const std::string& field() const { return where(); }
};

// A well-formed request that this build cannot serve (an op without a kernel, ...).
class UnsupportedError : public Error {
 public:
  using Error::Error;
};

}  // namespace tpulab

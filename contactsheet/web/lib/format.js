// Numbers and dates as a photographer reads them.

export function bytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function takenAt(item) {
  if (!item?.taken_at) return "";
  return dateTime.format(new Date(item.taken_at));
}

export function exposure(seconds) {
  if (!seconds) return "";
  if (seconds >= 1) return `${Number(seconds.toFixed(1))} s`;
  return `1/${Math.round(1 / seconds)} s`;
}

export function aperture(f) {
  return f ? `ƒ/${Number(f.toFixed(1))}` : "";
}

export function focal(mm) {
  return mm ? `${Math.round(mm)} mm` : "";
}

export function camera(item) {
  const { make, model } = item?.metadata ?? {};
  if (!model) return make ?? "";
  // Most models already start with the maker's name ("Canon EOS R5").
  return make && !model.toLowerCase().startsWith(make.toLowerCase().split(" ")[0])
    ? `${make} ${model}`
    : model;
}

export function count(n, one, many = `${one}s`) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
